#!/usr/bin/env bash
# nginx (Debian's package) in front of the workbench: serves web/dist at
# http://127.0.0.1:8080/ and routes each /api/v1/<prefix> to the service that owns it.
# Runs as a project-local process: config, pid, logs and temp files in .xuncha/nginx.
#   nginx.sh install | start | stop | status
#   nginx.sh render OUT   write a config from deploy/nginx/workbench.conf.template to OUT
#
# render reads (defaults = the make up deployment):
#   XUNCHA_NGINX_LISTEN      host:port                  (127.0.0.1:$NGINX_PORT)
#   XUNCHA_NGINX_PREFIX      nginx's folder: pid/logs   ($STATE/nginx)
#   XUNCHA_WEB_ROOT          the built workbench        (web/dist)
#   XUNCHA_UPSTREAM_<SVC>    e.g. XUNCHA_UPSTREAM_INTAKE=http://127.0.0.1:8001, or several
#                            URLs separated by spaces or commas (one per copy; default: every
#                            copy of the deployment, REPLICAS)
#   XUNCHA_AUTH_MODE         token | oidc; with oidc also XUNCHA_OIDC_ISSUER (the provider's
#                            base URL, discovery at /.well-known/openid-configuration),
#                            XUNCHA_OIDC_CLIENT_ID (the workbench's public client, default
#                            xuncha-workbench) and XUNCHA_OIDC_SCOPE (default "openid profile")
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"
TEMPLATE="$REPO_ROOT/deploy/nginx/workbench.conf.template"
NGINX_CONF="$NGINX_DIR/workbench.conf"

nginx_install() {
    if [[ -x "$NGINX_BIN" ]]; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "nginx is missing; install it (apt-get install nginx-light) as root"
    log "installing nginx (apt-get install nginx-light)"
    local t0
    t0=$(now_ms)
    apt-get update -qq
    # the package's own attempt to start a system nginx on :80 may be denied by policy-rc.d:
    # harmless, that one is never used
    apt-get install -y -qq nginx-light >/dev/null || true
    [[ -x "$NGINX_BIN" ]] || die "apt-get install nginx-light did not provide $NGINX_BIN"
    ok "nginx installed in $(($(now_ms) - t0)) ms"
}

# json_str VALUE: VALUE as a JSON string (for /config.json)
json_str() {
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "$s"
}

# the workbench's /config.json (no secrets: a public OIDC client uses PKCE)
config_json() {
    local mode="${XUNCHA_AUTH_MODE:-token}"
    if [[ "$mode" == oidc ]]; then
        [[ -n "${XUNCHA_OIDC_ISSUER:-}" ]] || die "XUNCHA_AUTH_MODE=oidc needs XUNCHA_OIDC_ISSUER for the workbench"
        printf '{"auth_mode":"oidc","oidc":{"issuer":%s,"client_id":%s,"scope":%s}}' \
            "$(json_str "$XUNCHA_OIDC_ISSUER")" \
            "$(json_str "${XUNCHA_OIDC_CLIENT_ID:-xuncha-workbench}")" \
            "$(json_str "${XUNCHA_OIDC_SCOPE:-openid profile}")"
    else
        printf '{"auth_mode":"token"}'
    fi
}

# origin of a URL (scheme://host[:port]) for the Content-Security-Policy
origin_of() { [[ "$1" =~ ^(https?://[^/]+) ]] && printf '%s' "${BASH_REMATCH[1]}"; }

nginx_render() {
    local out="$1" prefix listen root cfg connect="" svc var
    prefix="${XUNCHA_NGINX_PREFIX:-$NGINX_DIR}"
    listen="${XUNCHA_NGINX_LISTEN:-127.0.0.1:$NGINX_PORT}"
    root="${XUNCHA_WEB_ROOT:-$REPO_ROOT/web/dist}"
    cfg="$(config_json)"
    [[ "$cfg" != *"'"* ]] || die "OIDC settings must not contain a single quote"
    if [[ "${XUNCHA_AUTH_MODE:-token}" == oidc ]]; then
        connect="$(origin_of "$XUNCHA_OIDC_ISSUER")"
    fi
    mkdir -p "$prefix/tmp" "$prefix/static" "$(dirname "$out")"
    local args=(-e "s|@LISTEN@|$listen|g" -e "s|@PREFIX@|$prefix|g" -e "s|@ROOT@|$root|g"
        -e "s|@CONNECT_SRC@|$connect|g")
    local inst urls servers url
    for svc in "${SERVICES[@]}"; do
        var="XUNCHA_UPSTREAM_${svc^^}"
        urls="${!var:-}"
        if [[ -z "$urls" ]]; then
            for inst in $(instances_of "$svc"); do urls+=" http://127.0.0.1:$(port_of "$inst")"; done
        fi
        servers=""
        for url in ${urls//,/ }; do
            [[ "$url" =~ ^http://([^/]+)/?$ ]] || die "$var: $url is not http://host:port"
            servers+="server ${BASH_REMATCH[1]} max_fails=1 fail_timeout=3s; "
        done
        args+=(-e "s|@${svc^^}_SERVERS@|$servers|g")
    done
    sed "${args[@]}" "$TEMPLATE" | awk -v cfg="$cfg" '{ gsub(/@CONFIG_JSON@/, cfg); print }' >"$out"
    # the benchmark's baseline: a static page of about the size of index.html
    cat >"$prefix/static/bench-baseline.html" <<'HTML'
<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>基线</title></head>
<body><main id="ready"><h1>巡察工作台</h1><p>静态基线页面</p></main></body></html>
HTML
    if grep -q '@[A-Z_]*@' "$out"; then
        die "unrendered placeholder in $out: $(grep -o '@[A-Z_]*@' "$out" | sort -u | tr '\n' ' ')"
    fi
}

nginx_start() {
    nginx_install
    ensure_state_dirs
    local pidfile="$RUN_DIR/nginx.pid"
    [[ -f "$REPO_ROOT/web/dist/index.html" ]] || die "web/dist is missing: run deploy/local/web.sh build"
    mkdir -p "$NGINX_DIR"
    nginx_render "$NGINX_CONF"
    "$NGINX_BIN" -t -q -p "$NGINX_DIR" -c "$NGINX_CONF" -e "$NGINX_DIR/error.log" ||
        die "nginx rejects $NGINX_CONF"
    if pid_alive "$pidfile"; then
        # reload: picks up a changed port map or auth mode without dropping connections
        kill -HUP "$(<"$pidfile")"
        ok "nginx already running on http://127.0.0.1:$NGINX_PORT/ (pid $(<"$pidfile"), config reloaded)"
        return 0
    fi
    rm -f "$pidfile"
    if port_in_use "$NGINX_PORT"; then
        die "port $NGINX_PORT is taken by a process this repo did not start"
    fi
    log "starting nginx on http://127.0.0.1:$NGINX_PORT/"
    ln -sfn ../nginx/error.log "$LOG_DIR/nginx.log"
    setsid nohup "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_CONF" -e "$NGINX_DIR/error.log" \
        >>"$NGINX_DIR/console.log" 2>&1 </dev/null &
    local pid=$! i
    echo "$pid" >"$pidfile"
    for ((i = 0; i < 100; i++)); do
        port_in_use "$NGINX_PORT" && {
            ok "nginx ready on http://127.0.0.1:$NGINX_PORT/"
            return 0
        }
        started_alive "$pid" || break
        sleep 0.1
    done
    tail -n 20 "$NGINX_DIR/error.log" "$NGINX_DIR/console.log" >&2 2>/dev/null || true
    die "nginx did not start (logs in $NGINX_DIR)"
}

nginx_status() {
    if pid_alive "$RUN_DIR/nginx.pid"; then
        echo "nginx: running on http://127.0.0.1:$NGINX_PORT/ (pid $(<"$RUN_DIR/nginx.pid"))"
    else
        echo "nginx: stopped"
        return 1
    fi
}

case "${1:-}" in
install) nginx_install ;;
render)
    [[ -n "${2:-}" ]] || die "usage: $0 render OUT"
    nginx_render "$2"
    ;;
start) nginx_start ;;
stop) stop_pidfile nginx 10 ;;
status) nginx_status ;;
*) die "usage: $0 install|render OUT|start|stop|status" ;;
esac

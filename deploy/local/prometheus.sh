#!/usr/bin/env bash
# Prometheus (Debian's package) scraping the four services' GET /metrics, with xuncha's alerting
# rules (deploy/prometheus/rules.yml). `make up METRICS=1` starts it; `make down` stops it.
# A project-local process: config, TSDB data in .xuncha/prometheus, log .xuncha/logs/prometheus.log
# (JSON lines), pid .xuncha/run/prometheus.pid; listens on 127.0.0.1:$XUNCHA_PROMETHEUS_PORT (9090).
#   prometheus.sh install | start | stop | status
#   prometheus.sh render OUT   write the scrape config (targets 127.0.0.1:<service ports>) to OUT
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROMETHEUS_BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"
PROMTOOL_BIN="${PROMTOOL_BIN:-/usr/bin/promtool}"
PROMETHEUS_PORT="${XUNCHA_PROMETHEUS_PORT:-9090}"
PROMETHEUS_DIR="$STATE/prometheus"
PROMETHEUS_RETENTION="${XUNCHA_PROMETHEUS_RETENTION:-30d}"
RULES="$REPO_ROOT/deploy/prometheus/rules.yml"
TEMPLATE="$REPO_ROOT/deploy/prometheus/prometheus.yml.template"

# lib.sh knows the processes of the base deployment; this one is /usr/bin/prometheus
eval "$(declare -f pid_pattern | sed '1s/pid_pattern/_base_pid_pattern/')"
pid_pattern() { if [[ "$1" == prometheus ]]; then echo "prometheus --config.file"; else _base_pid_pattern "$1"; fi; }

prometheus_install() {
    if [[ -x "$PROMETHEUS_BIN" && -x "$PROMTOOL_BIN" ]]; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "Prometheus is missing; install it (apt-get install prometheus) as root"
    log "installing Prometheus (apt-get install --no-install-recommends prometheus)"
    local t0
    t0=$(now_ms)
    apt-get update -qq
    # the package's own attempt to start a system Prometheus may be denied by policy-rc.d:
    # harmless, that one is never used
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null || true
    [[ -x "$PROMETHEUS_BIN" ]] || die "apt-get install prometheus did not provide $PROMETHEUS_BIN"
    ok "Prometheus installed in $(($(now_ms) - t0)) ms"
}

prometheus_render() {
    local out="$1" targets="" svc
    for svc in "${SERVICES[@]}"; do
        targets+="${targets:+, }\"127.0.0.1:${SERVICE_PORTS[$svc]}\""
    done
    mkdir -p "$(dirname "$out")"
    sed -e "s|@RULES@|$RULES|g" -e "s|@TARGETS@|$targets|g" "$TEMPLATE" >"$out"
}

prometheus_start() {
    local pidfile="$RUN_DIR/prometheus.pid" conf="$PROMETHEUS_DIR/prometheus.yml"
    prometheus_install
    if pid_alive "$pidfile"; then
        ok "Prometheus already running (pid $(<"$pidfile")) on http://127.0.0.1:$PROMETHEUS_PORT/"
        return 0
    fi
    rm -f "$pidfile"
    if port_in_use "$PROMETHEUS_PORT"; then
        die "port $PROMETHEUS_PORT (Prometheus) is taken by a process this repo did not start; set XUNCHA_PROMETHEUS_PORT"
    fi
    mkdir -p "$PROMETHEUS_DIR/data" "$LOG_DIR" "$RUN_DIR"
    prometheus_render "$conf"
    "$PROMTOOL_BIN" check config "$conf" >/dev/null || die "promtool rejects $conf"
    log "starting Prometheus on http://127.0.0.1:$PROMETHEUS_PORT/"
    setsid nohup "$PROMETHEUS_BIN" --config.file="$conf" \
        --storage.tsdb.path="$PROMETHEUS_DIR/data" \
        --storage.tsdb.retention.time="$PROMETHEUS_RETENTION" \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
        --log.format=json \
        >>"$LOG_DIR/prometheus.log" 2>&1 </dev/null &
    local pid=$! i
    echo "$pid" >"$pidfile"
    for ((i = 0; i < 300; i++)); do
        if "$PY" - "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" <<'PY' 2>/dev/null; then
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
PY
            ok "Prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT/ (rules: $RULES)"
            return 0
        fi
        started_alive "$pid" || { tail -n 20 "$LOG_DIR/prometheus.log" >&2; die "Prometheus exited (see above)"; }
        sleep 0.1
    done
    die "Prometheus did not become ready within 30 s (see $LOG_DIR/prometheus.log)"
}

case "${1:-}" in
install) prometheus_install ;;
start) prometheus_start ;;
stop) stop_pidfile prometheus 10 ;;
status)
    if pid_alive "$RUN_DIR/prometheus.pid"; then
        ok "Prometheus running (pid $(<"$RUN_DIR/prometheus.pid")) on http://127.0.0.1:$PROMETHEUS_PORT/"
    else
        echo "Prometheus not running"
        exit 1
    fi
    ;;
render) prometheus_render "${2:?usage: $0 render OUT}" ;;
*) die "usage: $0 install|start|stop|status|render OUT" ;;
esac

#!/usr/bin/env bash
# The four xuncha services as background processes (console scripts .venv/bin/xuncha-<svc>).
#   services.sh start | stop | status
# Each gets the same XUNCHA_* variables as in docker-compose.yml; pid .xuncha/run/<svc>.pid,
# log .xuncha/logs/<svc>.log (JSON lines, rotated by the process at XUNCHA_LOG_MAX_BYTES, 10 MiB,
# keeping 5: <svc>.log.1 ..), anything printed outside logging in <svc>.stderr.log; ready when
# GET /readyz answers 200.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

READY_TIMEOUT="${XUNCHA_READY_TIMEOUT:-60}"

url_of() { echo "http://127.0.0.1:${SERVICE_PORTS[$1]}"; }

# services whose console script exists and whose entry point module can be imported
runnable_services() {
    local svc candidates=()
    for svc in "${SERVICES[@]}"; do
        [[ -x "$VENV/bin/xuncha-$svc" ]] && candidates+=("$svc")
    done
    ((${#candidates[@]})) || return 0
    "$PY" - "${candidates[@]}" <<'EOF'
import importlib.util, sys
for svc in sys.argv[1:]:
    try:
        found = importlib.util.find_spec(f"xuncha_{svc}.entrypoints.main") is not None
    except ImportError:
        found = False
    if found:
        print(svc)
EOF
}

http_ok() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
    else
        provision wait-http "$1" --timeout 1 --quiet
    fi
}

show_log_tail() {
    echo "--- last 40 lines of $LOG_DIR/$1.log" >&2
    tail -n 40 "$LOG_DIR/$1.log" >&2 2>/dev/null || true
    tail -n 20 "$LOG_DIR/$1.stderr.log" >&2 2>/dev/null || true
    echo "---" >&2
}

start_one() {
    local svc="$1" port="${SERVICE_PORTS[$1]}" pidfile="$RUN_DIR/$1.pid"
    if pid_alive "$pidfile"; then
        return 0 # running: readiness is checked below
    fi
    rm -f "$pidfile"
    if port_in_use "$port"; then
        die "port $port ($svc) is taken by a process this repo did not start"
    fi
    log "starting $svc on $(url_of "$svc")"
    {
        echo "===== $(date -u +%FT%TZ) starting xuncha-$svc"
    } >>"$LOG_DIR/$svc.stderr.log"
    # reporting serves the auditors' read-only API: it reads every service database as the
    # read-only role xuncha_auditor (the database name is swapped per service)
    local audit_env=()
    if [[ "$svc" == reporting ]]; then
        audit_env=("XUNCHA_AUDIT_DATABASE_URL=postgresql://xuncha_auditor:$(secret pg-xuncha_auditor)@$PG_HOST:$PG_PORT/reporting")
    fi
    # every secret from .xuncha/secrets: its own role's password, its own Kafka principal
    # (SCRAM-SHA-512, ACLs: python -m xuncha_shared.provision acls), the informants' KEK
    XUNCHA_SERVICE="$svc" \
        XUNCHA_DATABASE_URL="postgresql://$svc:$(secret "pg-$svc")@$PG_HOST:$PG_PORT/$svc" \
        XUNCHA_KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP" \
        XUNCHA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT \
        XUNCHA_KAFKA_USERNAME="$svc" \
        XUNCHA_KAFKA_PASSWORD="$(secret "kafka-$svc")" \
        XUNCHA_KEK="$(secret kek)" \
        XUNCHA_HTTP_HOST=127.0.0.1 \
        XUNCHA_HTTP_PORT="$port" \
        XUNCHA_STATE_DIR="$STATE" \
        XUNCHA_LOG_FILE="$LOG_DIR/$svc.log" \
        PYTHONUNBUFFERED=1 \
        setsid nohup env "${audit_env[@]}" "$VENV/bin/xuncha-$svc" >>"$LOG_DIR/$svc.stderr.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

wait_ready() {
    local svc="$1" pidfile="$RUN_DIR/$1.pid" url
    url="$(url_of "$svc")/readyz"
    if ! provision wait-http "$url" --timeout "$READY_TIMEOUT" --pid "$(<"$pidfile")" --quiet; then
        show_log_tail "$svc"
        if pid_alive "$pidfile"; then
            die "$svc (pid $(<"$pidfile")) did not answer 200 on $url within ${READY_TIMEOUT}s"
        fi
        rm -f "$pidfile"
        die "$svc exited before it became ready (see the log above)"
    fi
    ok "$svc ready on $(url_of "$svc")"
}

services_start() {
    ensure_state_dirs
    local svc runnable=() pending=()
    mapfile -t runnable < <(runnable_services)
    for svc in "${SERVICES[@]}"; do
        if [[ " ${runnable[*]} " != *" $svc "* ]]; then
            warn "skipping $svc: .venv/bin/xuncha-$svc or its module xuncha_$svc.entrypoints.main is missing"
            continue
        fi
        if pid_alive "$RUN_DIR/$svc.pid" && http_ok "$(url_of "$svc")/readyz"; then
            ok "$svc already running on $(url_of "$svc") (pid $(<"$RUN_DIR/$svc.pid"))"
            continue
        fi
        start_one "$svc"
        pending+=("$svc")
    done
    # started together, waited for one by one (they boot in parallel)
    for svc in "${pending[@]}"; do
        wait_ready "$svc"
    done
}

services_stop() {
    local svc
    for svc in "${SERVICES[@]}"; do
        stop_pidfile "$svc" 20
    done
}

services_status() {
    local svc rc=0
    for svc in "${SERVICES[@]}"; do
        if pid_alive "$RUN_DIR/$svc.pid" && http_ok "$(url_of "$svc")/readyz"; then
            echo "$svc: running on $(url_of "$svc") (pid $(<"$RUN_DIR/$svc.pid"))"
        elif pid_alive "$RUN_DIR/$svc.pid"; then
            echo "$svc: running but not ready (pid $(<"$RUN_DIR/$svc.pid"))"
            rc=1
        else
            echo "$svc: stopped"
            rc=1
        fi
    done
    return $rc
}

case "${1:-}" in
start) services_start ;;
stop) services_stop ;;
status) services_status ;;
*) die "usage: $0 start|stop|status" ;;
esac

#!/usr/bin/env bash
# The four xuncha services as background processes (console scripts .venv/bin/xuncha-<svc>).
#   services.sh start | stop | status
# Each gets the same XUNCHA_* variables as in docker-compose.yml; ready when GET /readyz
# answers 200. Each process runs under deploy/local/supervise.py, which starts it again when it
# dies (1 s, then doubling back-off up to 30 s; reset after 30 s of running): pid file
# .xuncha/run/<instance>.pid (the supervisor), .xuncha/run/<instance>.supervisor.json (child
# pid, restarts). Logs: .xuncha/logs/<instance>.log (JSON lines, rotated by the process at
# XUNCHA_LOG_MAX_BYTES, 10 MiB, keeping 5: <instance>.log.1 ..), the supervisor's lines and
# anything printed outside logging in <instance>.stderr.log.
# REPLICAS=2 (make up REPLICAS=2): a second copy of each service, instance <svc>-2 on port
# 8100-8103; both copies run everything (the relay and the checkpointer are active in one copy
# at a time, PostgreSQL advisory locks; the consumers share their groups; the deadline workers
# claim with FOR UPDATE SKIP LOCKED), nginx balances the HTTP requests over both.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

READY_TIMEOUT="${XUNCHA_READY_TIMEOUT:-60}"

url_of() { echo "http://127.0.0.1:$(port_of "$1")"; }

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
    local inst="$1" svc port pidfile="$RUN_DIR/$1.pid"
    svc="$(service_of "$inst")" port="$(port_of "$inst")"
    if pid_alive "$pidfile"; then
        return 0 # running: readiness is checked below
    fi
    rm -f "$pidfile"
    if port_in_use "$port"; then
        die "port $port ($inst) is taken by a process this repo did not start"
    fi
    log "starting $inst on $(url_of "$inst")"
    {
        echo "===== $(date -u +%FT%TZ) starting xuncha-$svc ($inst)"
    } >>"$LOG_DIR/$inst.stderr.log"
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
        XUNCHA_LOG_FILE="$LOG_DIR/$inst.log" \
        PYTHONUNBUFFERED=1 \
        setsid nohup env "${audit_env[@]}" "$PY" "$DEPLOY_DIR/supervise.py" --name "$inst" \
        --run-dir "$RUN_DIR" -- "$VENV/bin/xuncha-$svc" >>"$LOG_DIR/$inst.stderr.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
}

wait_ready() {
    local inst="$1" pidfile="$RUN_DIR/$1.pid" url
    url="$(url_of "$inst")/readyz"
    if ! provision wait-http "$url" --timeout "$READY_TIMEOUT" --pid "$(<"$pidfile")" --quiet; then
        show_log_tail "$inst"
        if pid_alive "$pidfile"; then
            die "$inst (pid $(<"$pidfile")) did not answer 200 on $url within ${READY_TIMEOUT}s"
        fi
        rm -f "$pidfile"
        die "$inst exited before it became ready (see the log above)"
    fi
    ok "$inst ready on $(url_of "$inst")"
}

# every instance this state has a pid file of (copies beyond REPLICAS included)
recorded_instances() {
    local f svc
    for svc in "${SERVICES[@]}"; do
        for f in "$RUN_DIR/$svc.pid" "$RUN_DIR/$svc"-[0-9].pid; do
            [[ -e "$f" ]] && basename "$f" .pid
        done
    done
    return 0
}

services_start() {
    ensure_state_dirs
    local svc inst runnable=() pending=() wanted=()
    mapfile -t runnable < <(runnable_services)
    for svc in "${SERVICES[@]}"; do
        if [[ " ${runnable[*]} " != *" $svc "* ]]; then
            warn "skipping $svc: .venv/bin/xuncha-$svc or its module xuncha_$svc.entrypoints.main is missing"
            continue
        fi
        for inst in $(instances_of "$svc"); do
            wanted+=("$inst")
            if pid_alive "$RUN_DIR/$inst.pid" && http_ok "$(url_of "$inst")/readyz"; then
                ok "$inst already running on $(url_of "$inst") (pid $(<"$RUN_DIR/$inst.pid"))"
                continue
            fi
            start_one "$inst"
            pending+=("$inst")
        done
    done
    # copies beyond REPLICAS (an earlier make up REPLICAS=2): stopped
    for inst in $(recorded_instances); do
        [[ " ${wanted[*]} " == *" $inst "* ]] || stop_pidfile "$inst" 20
    done
    # started together, waited for one by one (they boot in parallel)
    for inst in "${pending[@]}"; do
        wait_ready "$inst"
    done
}

services_stop() {
    local inst
    for inst in $(recorded_instances); do
        stop_pidfile "$inst" 25
    done
}

services_status() {
    local svc inst rc=0
    for svc in "${SERVICES[@]}"; do
        for inst in $(instances_of "$svc"); do
            if pid_alive "$RUN_DIR/$inst.pid" && http_ok "$(url_of "$inst")/readyz"; then
                echo "$inst: running on $(url_of "$inst") (pid $(<"$RUN_DIR/$inst.pid")$(supervision_note "$inst"))"
            elif pid_alive "$RUN_DIR/$inst.pid"; then
                echo "$inst: running but not ready (pid $(<"$RUN_DIR/$inst.pid")$(supervision_note "$inst"))"
                rc=1
            else
                echo "$inst: stopped"
                rc=1
            fi
        done
    done
    return $rc
}

case "${1:-}" in
start) services_start ;;
stop) services_stop ;;
status) services_status ;;
*) die "usage: $0 start|stop|status" ;;
esac

#!/usr/bin/env bash
# `make up`: install what is missing, start PostgreSQL, Kafka and the four services, provision
# databases and topics, create the demo tokens and data. Idempotent: when everything already
# runs it only checks and prints the summary.
#   up.sh            everything (+ the workbench: web/dist built if needed, nginx on :8080)
#   up.sh --infra    dependencies, PostgreSQL, Kafka, databases and topics (what tests need)
#   up.sh --deps     dependencies only (uv, .venv, PostgreSQL package, Kafka jars)
# Topology (remembered in .xuncha/topology for the next make up / make status / make down):
#   KAFKA_BROKERS=1|3   one Kafka broker (default) or three (19092-19094, replication factor 3)
#   REPLICAS=1|2        one copy of each service (default) or two (8000-8003 and 8100-8103,
#                       nginx on :8080 balancing over both)
# XUNCHA_METRICS=1 (make up METRICS=1) also starts Prometheus (deploy/local/prometheus.sh).
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE=all
case "${1:-}" in
"") ;;
--infra) MODE=infra ;;
--deps) MODE=deps ;;
*) die "usage: $0 [--infra|--deps]" ;;
esac

T0=$(now_ms)
ensure_state_dirs
save_topology
warn_ephemeral_ports

# ---- dependencies ----
ensure_venv
"$DEPLOY_DIR/pg.sh" install
"$DEPLOY_DIR/kafka.sh" install
"$DEPLOY_DIR/nginx.sh" install
if [[ $MODE == deps ]]; then
    ok "dependencies ready in $(($(now_ms) - T0)) ms"
    exit 0
fi

# ---- infrastructure ----
"$DEPLOY_DIR/pg.sh" start
"$DEPLOY_DIR/kafka.sh" start
# roles + databases (core schema migrated as each service role) and every topic; idempotent
provision all --quiet --brokers "$KAFKA_BROKERS"
ok "databases (intake, clues, rectification, reporting), topics and ACLs provisioned"
if [[ $MODE == infra ]]; then
    ok "infrastructure ready in $(($(now_ms) - T0)) ms"
    exit 0
fi

# ---- services ----
"$DEPLOY_DIR/services.sh" start
# ---- the workbench: built when its lock or sources changed, served by nginx on :8080 ----
"$DEPLOY_DIR/web.sh" build
"$DEPLOY_DIR/nginx.sh" start
ALL_UP=1
for svc in "${SERVICES[@]}"; do
    for inst in $(instances_of "$svc"); do
        pid_alive "$RUN_DIR/$inst.pid" || ALL_UP=0
    done
done

# ---- demo tokens and data (commands written elsewhere; skipped while they do not exist) ----
XUNCHA=("$VENV/bin/xuncha")
export XUNCHA_PG_ADMIN_URL="postgresql://postgres:$(secret pg-postgres)@$PG_HOST:$PG_PORT/postgres"
export XUNCHA_KAFKA_BOOTSTRAP="$KAFKA_BOOTSTRAP"
export XUNCHA_STATE_DIR="$STATE"
TOKENS="$STATE/demo-tokens.json"
OFFICE_TOKENS="$STATE/demo-office-tokens.json"
UNIT_TOKENS="$STATE/demo-unit-tokens.json"

has_subcommand() { "${XUNCHA[@]}" "$@" --help >/dev/null 2>&1; }

if ! has_subcommand tokens demo; then
    warn "skipping demo tokens: \`xuncha tokens demo\` does not exist yet"
elif [[ -s "$TOKENS" && -s "$OFFICE_TOKENS" && -s "$UNIT_TOKENS" ]] && "$VENV/bin/python" - "$TOKENS" <<'PY'
import json, sys
from xuncha_shared.domain.principals import Role
with open(sys.argv[1], encoding="utf-8") as f:
    held = json.load(f)
sys.exit(0 if all(role.value in held for role in Role) else 1)
PY
then
    ok "demo tokens kept ($TOKENS)"
else
    log "creating demo tokens"
    "${XUNCHA[@]}" tokens demo --out "$TOKENS" || die "xuncha tokens demo failed"
    ok "demo tokens written to $TOKENS"
fi

DEMO_STAMP="$STATE/demo-loaded"
if ! has_subcommand demo load; then
    warn "skipping demo data: \`xuncha demo load\` does not exist yet"
elif ((!ALL_UP)); then
    warn "skipping demo data: not all four services run"
elif [[ -f "$DEMO_STAMP" ]]; then
    ok "demo data already loaded ($(<"$DEMO_STAMP"))"
else
    log "loading demo data through the public APIs"
    # the services' ports of this deployment (XUNCHA_HTTP_PORT_BASE moves them), unless set
    XUNCHA_DEMO_INTAKE_URL="${XUNCHA_DEMO_INTAKE_URL:-http://127.0.0.1:${SERVICE_PORTS[intake]}}" \
        XUNCHA_DEMO_CLUES_URL="${XUNCHA_DEMO_CLUES_URL:-http://127.0.0.1:${SERVICE_PORTS[clues]}}" \
        XUNCHA_DEMO_RECTIFICATION_URL="${XUNCHA_DEMO_RECTIFICATION_URL:-http://127.0.0.1:${SERVICE_PORTS[rectification]}}" \
        XUNCHA_DEMO_REPORTING_URL="${XUNCHA_DEMO_REPORTING_URL:-http://127.0.0.1:${SERVICE_PORTS[reporting]}}" \
        "${XUNCHA[@]}" demo load || die "xuncha demo load failed"
    date -u +%FT%TZ >"$DEMO_STAMP"
    ok "demo data loaded"
fi
if [[ "${XUNCHA_METRICS:-}" == 1 ]]; then
    # the alert on a failed verification reads this file (served by reporting's /metrics)
    "${XUNCHA[@]}" audit verify --metrics-file "$STATE/metrics/audit_verify.prom" >/dev/null ||
        warn "xuncha audit verify did not pass (see: xuncha audit verify)"
    "$DEPLOY_DIR/prometheus.sh" start
fi

# ---- summary ----
state_of() {
    if pid_alive "$RUN_DIR/$1.pid"; then echo "running (pid $(<"$RUN_DIR/$1.pid"))"; else echo "NOT RUNNING"; fi
}
echo
printf '%s%-16s %-34s %s%s\n' "$_C_B" "component" "where" "state" "$_C_0"
printf '%-16s %-34s %s\n' "postgres" "$PG_HOST:$PG_PORT" "$(state_of postgres)"
if ((KAFKA_BROKERS == 1)); then
    printf '%-16s %-34s %s\n' "kafka" "$KAFKA_BOOTSTRAP" "$(state_of kafka)"
else
    for ((i = 1; i <= KAFKA_BROKERS; i++)); do
        printf '%-16s %-34s %s\n' "kafka-$i" "$KAFKA_HOST:$((KAFKA_PORT + i - 1))" "$(state_of "kafka-$i")"
    done
fi
for svc in "${SERVICES[@]}"; do
    for inst in $(instances_of "$svc"); do
        printf '%-16s %-34s %s\n' "$inst" "http://127.0.0.1:$(port_of "$inst")/" "$(state_of "$inst")"
    done
done
printf '%-16s %-34s %s\n' "nginx" "http://127.0.0.1:$NGINX_PORT/" "$(state_of nginx)"
echo
echo "workbench    http://127.0.0.1:$NGINX_PORT/   (巡察工作台: paste a demo token, see README)"
echo "dashboard    http://127.0.0.1:${SERVICE_PORTS[reporting]}/"
echo "databases    postgresql://<svc>:<.xuncha/secrets/pg-<svc>>@$PG_HOST:$PG_PORT/<svc>   (admin: user postgres, .xuncha/secrets/pg-postgres)"
echo "kafka        SASL/SCRAM-SHA-512 on $KAFKA_BOOTSTRAP, one user per service (.xuncha/secrets/kafka-<user>)"
if [[ -s "$TOKENS" ]]; then
    echo "demo tokens  $TOKENS"
    [[ -s "$OFFICE_TOKENS" ]] && echo "             $OFFICE_TOKENS   (the other counties' offices)"
    [[ -s "$UNIT_TOKENS" ]] && echo "             $UNIT_TOKENS   (the city's units of the demo term, 临川区's units)"
else
    echo "demo tokens  (none yet)"
fi
if [[ "${XUNCHA_METRICS:-}" == 1 ]]; then
    echo "prometheus   http://127.0.0.1:${XUNCHA_PROMETHEUS_PORT:-9090}/alerts   (queries: docs/operations.md)"
fi
echo "logs         $LOG_DIR/*.log   (make logs)"
echo "supervised   every service, broker and PostgreSQL restarts when it dies (make status shows restarts)"
echo "stop         make down   (data kept; make clean wipes it)"
echo
ok "up in $(($(now_ms) - T0)) ms"

#!/usr/bin/env bash
# `make down`: stop exactly what `make up` started (by pid file), keeping all data:
# nginx and the services first, then Kafka (SIGTERM, SIGKILL after 30 s), then PostgreSQL (its supervisor: SIGINT, the fast shutdown),
# then the PostgreSQL and Kafka of any test lane (tests/lanes.py) a stopped `make test` left running.
#   down.sh           stop
#   down.sh --clean   stop, then wipe .xuncha (the Kafka jar cache .xuncha/kafka/libs is kept)
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
"" | --clean) ;;
*) die "usage: $0 [--clean]" ;;
esac

[[ -d "$STATE" ]] || { ok "nothing to stop (no $STATE)"; exit 0; }
"$DEPLOY_DIR/prometheus.sh" stop
"$DEPLOY_DIR/nginx.sh" stop
"$DEPLOY_DIR/services.sh" stop
"$DEPLOY_DIR/kafka.sh" stop
"$DEPLOY_DIR/pg.sh" stop
# the test lanes (tests/lanes.py) a stopped test run left behind: each says where it runs
for lane_env in "$STATE"/test-lanes/*/lane.env; do
    [[ -f "$lane_env" ]] || continue
    (
        set -a
        # shellcheck disable=SC1090
        source "$lane_env"
        set +a
        "$DEPLOY_DIR/kafka.sh" stop
        "$DEPLOY_DIR/pg.sh" stop
    )
done

if [[ "${1:-}" == --clean ]]; then
    log "wiping $STATE (keeping the Kafka jar cache $KAFKA_LIBS)"
    find "$STATE" -mindepth 1 -maxdepth 1 ! -name kafka -exec rm -rf {} +
    if [[ -d "$KAFKA_DIR" ]]; then
        find "$KAFKA_DIR" -mindepth 1 -maxdepth 1 ! -name libs -exec rm -rf {} +
    fi
    ok "state wiped"
fi

#!/usr/bin/env bash
# `make test`: dependencies + PostgreSQL + Kafka, the workbench's Vitest tests and build, (started if needed; the services are not
# needed: e2e tests start their own), then pytest over tests/ (XUNCHA_TEST_WORKERS=2: in two workers). Extra arguments go to pytest.
# Exit code 5 (no test collected) counts as a failure.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${XUNCHA_TEST_INFRA:-auto}" == docker ]]; then
    "$DEPLOY_DIR/up.sh" --deps # tests/infra.py starts testcontainers instead
else
    "$DEPLOY_DIR/up.sh" --infra
fi
"$DEPLOY_DIR/browser.sh" install # the dashboard's browser tests use Debian's chromium
"$DEPLOY_DIR/prometheus.sh" install # the alerting rules' test runs Debian's Prometheus
"$DEPLOY_DIR/wrk.sh" install # the term benchmark's readers (its quick run is a test)
# one process by default; XUNCHA_TEST_WORKERS=2: two pytest-xdist workers, each with a PostgreSQL
# and a Kafka of its own (tests/lanes.py), a test module whole on one worker; the second
# worker's servers start now, beside the workbench's build (else the worker does). Not the
# default: on 2 busy cores it was not reliably faster (docs/performance.md).
workers="${XUNCHA_TEST_WORKERS:-1}"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "XUNCHA_TEST_WORKERS must be a whole number >= 1 (got $workers)"
parallel=() lane_starts=()
stop_lanes() { # at the end, also when pytest never reached a lane (a lane in use is left)
    for ((lane = 1; lane < workers; lane++)); do
        (cd "$REPO_ROOT" && "$VENV/bin/python" -m tests.lanes stop "$lane") >>"$LOG_DIR/test-lane-$lane.log" 2>&1 || true
    done
}
if ((workers > 1)); then
    parallel=(-n "$workers" --dist loadgroup)
    if [[ "${XUNCHA_TEST_INFRA:-auto}" != docker ]]; then
        trap 'wait || true; stop_lanes' EXIT
        mkdir -p "$LOG_DIR"
        for ((lane = 1; lane < workers; lane++)); do
            (cd "$REPO_ROOT" && "$VENV/bin/python" -m tests.lanes start "$lane") \
                >"$LOG_DIR/test-lane-$lane.log" 2>&1 &
            lane_starts+=($!)
        done
    fi
fi
# the workbench: its unit tests (Vitest), then the build its browser tests load
"$DEPLOY_DIR/web.sh" test
"$DEPLOY_DIR/web.sh" build
for ((i = 0; i < ${#lane_starts[@]}; i++)); do
    wait "${lane_starts[$i]}" || warn "test lane $((i + 1)) did not start here (its worker tries again): $LOG_DIR/test-lane-$((i + 1)).log"
done
cd "$REPO_ROOT"
rc=0
"$VENV/bin/pytest" "${parallel[@]}" "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
    die "pytest collected no tests (exit code 5): refusing to report success"
fi
exit $rc

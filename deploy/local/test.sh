#!/usr/bin/env bash
# `make test`: dependencies + PostgreSQL + Kafka, the workbench's Vitest tests and build, (started if needed; the services are not
# needed: e2e tests start their own), then pytest over tests/. Extra arguments go to pytest.
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
# the workbench: its unit tests (Vitest), then the build its browser tests load
"$DEPLOY_DIR/web.sh" test
"$DEPLOY_DIR/web.sh" build
cd "$REPO_ROOT"
rc=0
"$VENV/bin/pytest" "$@" || rc=$?
if [[ $rc -eq 5 ]]; then
    die "pytest collected no tests (exit code 5): refusing to report success"
fi
exit $rc

#!/usr/bin/env bash
# wrk (Debian's package), the HTTP load generator of the term benchmark's readers (bench/readers.py):
# a C client that costs about 30 µs of CPU a request where Python's cost 400 µs, on the same two
# cores as the service it measures. `make bench` and `make test` install it.
#   wrk.sh install
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WRK_BIN="${WRK_BIN:-/usr/bin/wrk}"

wrk_install() {
    if [[ -x "$WRK_BIN" ]]; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "wrk is missing; install it (apt-get install wrk) as root"
    log "installing wrk (apt-get install wrk)"
    local t0
    t0=$(now_ms)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    [[ -x "$WRK_BIN" ]] || die "apt-get install wrk did not provide $WRK_BIN"
    ok "wrk installed in $(($(now_ms) - t0)) ms"
}

case "${1:-install}" in
    install) wrk_install ;;
    *) die "usage: wrk.sh install" ;;
esac

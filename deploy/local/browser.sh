#!/usr/bin/env bash
# Debian's Chromium (+ CJK fonts) for the dashboard's browser tests: Playwright drives it through
# executable_path; Playwright's own browser download is never used.
#   browser.sh install
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

browser_install() {
    # grep reads all of fc-list: with -q it would stop early, and pipefail would count the
    # SIGPIPE of fc-list as a failure
    if [[ -x /usr/bin/chromium ]] && fc-list 2>/dev/null | grep -i "noto.*cjk" >/dev/null; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "chromium is missing; install it (apt-get install chromium fonts-noto-cjk) as root"
    log "installing chromium and CJK fonts (apt-get install chromium fonts-noto-cjk)"
    local t0
    t0=$(now_ms)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    [[ -x /usr/bin/chromium ]] || die "apt-get installed chromium but /usr/bin/chromium is missing"
    ok "chromium installed in $(($(now_ms) - t0)) ms"
}

case "${1:-install}" in
    install) browser_install ;;
    *) die "usage: browser.sh install" ;;
esac

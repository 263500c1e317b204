#!/usr/bin/env bash
# The workbench (web/): Vue 3 + Element Plus, built with Vite into web/dist.
#   web.sh build   npm ci + npm run build, only when web/package-lock.json or the sources
#                  changed since the last build (hash in .xuncha/web/build.stamp)
#   web.sh test    npm ci (when node_modules is older than the lock) + vitest run
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WEB="$REPO_ROOT/web"
STAMP="$STATE/web/build.stamp"

need_node() {
    command -v npm >/dev/null 2>&1 && return 0
    [[ $EUID -eq 0 ]] || die "node and npm are missing; install them (apt-get install nodejs npm) as root"
    log "installing node and npm (apt-get install nodejs npm)"
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
}

# what the build depends on: the lock, the config files and every source file
sources_hash() {
    local paths=() p
    # only what exists: a missing path (web/public is optional) would make find fail
    for p in package.json package-lock.json index.html vite.config.ts tsconfig.json src public; do
        [[ -e "$WEB/$p" ]] && paths+=("$p")
    done
    (cd "$WEB" && find "${paths[@]}" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64)
}

# npm ci unless node_modules was installed from this very lock
ensure_modules() {
    need_node
    local marker="$WEB/node_modules/.package-lock.json"
    if [[ -f "$marker" && "$marker" -nt "$WEB/package-lock.json" ]]; then
        return 0
    fi
    log "npm ci (web/)"
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in web/"
}

web_build() {
    local want
    want="$REPO_ROOT $(sources_hash)"
    if [[ -f "$WEB/dist/index.html" && -f "$STAMP" && "$(<"$STAMP")" == "$want" ]]; then
        ok "workbench build is up to date (web/dist)"
        return 0
    fi
    ensure_modules
    log "building the workbench (npm run build)"
    local t0
    t0=$(now_ms)
    # built beside the one nginx serves, then swapped in: a page asked for while the build
    # runs is the older workbench, never a half-written folder (nginx's 500)
    rm -rf "$WEB/dist.next" "$WEB/dist.prev"
    (cd "$WEB" && npm run --silent build -- --outDir dist.next --emptyOutDir) ||
        die "npm run build failed in web/"
    if [[ -d "$WEB/dist" ]]; then mv "$WEB/dist" "$WEB/dist.prev"; fi
    mv "$WEB/dist.next" "$WEB/dist"
    rm -rf "$WEB/dist.prev"
    mkdir -p "$(dirname "$STAMP")"
    echo "$want" >"$STAMP"
    ok "workbench built in $(($(now_ms) - t0)) ms (web/dist)"
}

web_test() {
    ensure_modules
    (cd "$WEB" && npx vitest run)
}

case "${1:-}" in
build) web_build ;;
test) web_test ;;
*) die "usage: $0 build|test" ;;
esac

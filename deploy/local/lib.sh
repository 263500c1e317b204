# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this
# Common settings and helpers for the deploy/local scripts. Sourced, never executed.
#
# Everything this folder starts keeps its state under $STATE (<repo>/.xuncha, git-ignored):
#   .xuncha/pg/       PostgreSQL data dir, server log, unix socket dir (owned by `postgres`)
#   .xuncha/kafka/    libs/ (jar cache), data/ (KRaft log dirs), server.properties, console.log
#   .xuncha/run/      <name>.pid of every process started here
#   .xuncha/logs/     <name>.log (postgres.log is a link to .xuncha/pg/postgresql.log)
#   .xuncha/nginx/    rendered workbench.conf, pid, logs and temp files of nginx
#   .xuncha/web/      build.stamp: hash of what web/dist was built from

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPLOY_DIR="$REPO_ROOT/deploy/local"
STATE="${XUNCHA_LOCAL_STATE:-$REPO_ROOT/.xuncha}"
RUN_DIR="$STATE/run"
LOG_DIR="$STATE/logs"
VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_HOST=127.0.0.1
PG_PORT="${XUNCHA_PG_PORT:-15432}"
PG_DIR="$STATE/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgresql.log"
PG_SOCK="$PG_DIR/sock"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${XUNCHA_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${XUNCHA_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
KAFKA_DIR="$STATE/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"

# nginx in front of the workbench (web/dist) and the four APIs: one origin for the browser
NGINX_PORT="${XUNCHA_NGINX_PORT:-8080}"
NGINX_DIR="$STATE/nginx"
# generated secrets (python -m xuncha_shared.secrets ensure): passwords, SCRAM users, the KEK
SECRETS_DIR="$STATE/secrets"
# what the Python side (settings, CLI, tests) reads: the same state folder and ports
export XUNCHA_LOCAL_STATE="$STATE" XUNCHA_PG_PORT="$PG_PORT" XUNCHA_KAFKA_PORT="$KAFKA_PORT"

SERVICES=(reporting intake clues rectification)
declare -A SERVICE_PORTS=([reporting]=8000 [intake]=8001 [clues]=8002 [rectification]=8003)

export DEBIAN_FRONTEND=noninteractive

if [[ -t 1 ]]; then
    _C_B=$'\e[1m' _C_Y=$'\e[33m' _C_R=$'\e[31m' _C_G=$'\e[32m' _C_0=$'\e[0m'
else
    _C_B="" _C_Y="" _C_R="" _C_G="" _C_0=""
fi

log() { printf '%s==>%s %s\n' "$_C_B" "$_C_0" "$*" >&2; }
ok() { printf '%s ok%s %s\n' "$_C_G" "$_C_0" "$*" >&2; }
warn() { printf '%swarning:%s %s\n' "$_C_Y" "$_C_0" "$*" >&2; }
die() {
    printf '%serror:%s %s\n' "$_C_R" "$_C_0" "$*" >&2
    exit 1
}

# now_ms: wall clock in milliseconds (for the timings printed by up.sh)
now_ms() { date +%s%3N; }

ensure_state_dirs() {
    mkdir -p "$RUN_DIR" "$LOG_DIR" "$KAFKA_DIR"
}

# what the command line of each recorded process contains (guards against a reused pid after
# a reboot: a stale pid file must never make us signal somebody else's process)
pid_pattern() {
    case "$1" in
    kafka) echo "kafka.Kafka" ;;
    postgres) echo "postgres" ;;
    nginx) echo "nginx" ;;
    *) echo "xuncha-$1" ;;
    esac
}

# pid_alive FILE: the pid in FILE (.xuncha/run/<name>.pid) is a live process of that name
pid_alive() {
    local f="$1" pid cmd
    [[ -s "$f" ]] || return 1
    pid="$(<"$f")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 0
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    [[ "$cmd" == *"$(pid_pattern "$(basename "$f" .pid)")"* ]]
}

# stop_pidfile NAME GRACE_SECONDS: SIGTERM the process (group) recorded in $RUN_DIR/NAME.pid,
# wait up to GRACE_SECONDS, then SIGKILL. Only ever touches the recorded pid.
stop_pidfile() {
    local name="$1" grace="$2" f="$RUN_DIR/$1.pid" pid target i
    if ! pid_alive "$f"; then
        rm -f "$f"
        return 0
    fi
    pid="$(<"$f")"
    # started with setsid: the pid leads its own process group, which holds only its children
    target="$pid"
    if [[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$pid" ]]; then
        target="-$pid"
    fi
    log "stopping $name (pid $pid)"
    kill -TERM -- "$target" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        warn "$name did not stop within ${grace}s; sending SIGKILL"
        kill -KILL -- "$target" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$f"
    ok "$name stopped"
}

# port_in_use PORT: something listens on 127.0.0.1:PORT
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

as_postgres() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# ---- toolchain -------------------------------------------------------------------------------

# uv: the one in PATH, else `pip install uv`
find_uv() {
    if command -v uv >/dev/null 2>&1; then
        UV=(uv)
    elif python3 -m uv --version >/dev/null 2>&1; then
        UV=(python3 -m uv)
    else
        log "installing uv (pip install uv)"
        python3 -m pip install --quiet uv 2>/dev/null ||
            python3 -m pip install --quiet --break-system-packages uv ||
            die "could not install uv with pip"
        if command -v uv >/dev/null 2>&1; then UV=(uv); else UV=(python3 -m uv); fi
    fi
}

ensure_venv() {
    find_uv
    # fast when nothing changed (~0.1 s); installs everything on a fresh clone
    (cd "$REPO_ROOT" && "${UV[@]}" sync --all-packages --frozen --quiet) || die "uv sync failed"
}

provision() {
    "$PY" -m xuncha_shared.provision "$@"
}

# ---- secrets (deploy/local/README.md "Secrets") ------------------------------------------------

# ensure_secrets: generate the missing ones into $SECRETS_DIR (0700, files 0600); never replaces
ensure_secrets() {
    "$PY" -m xuncha_shared.secrets --dir "$SECRETS_DIR" ensure || die "cannot generate secrets in $SECRETS_DIR"
}

# secret NAME: print a generated secret (pg-<role>, kafka-<principal>, kek)
secret() {
    local f="$SECRETS_DIR/$1"
    [[ -s "$f" ]] || die "secret $1 is missing in $SECRETS_DIR (make infra generates it)"
    tr -d '\n' <"$f"
}

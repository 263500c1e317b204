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

# nginx in front of the workbench (web/dist) and the four APIs: one origin for the browser
NGINX_PORT="${XUNCHA_NGINX_PORT:-8080}"
NGINX_DIR="$STATE/nginx"
# generated secrets (python -m xuncha_shared.secrets ensure): passwords, SCRAM users, the KEK
SECRETS_DIR="$STATE/secrets"

SERVICES=(reporting intake clues rectification)
# the first copy of each service on 8000-8003, the second (make up REPLICAS=2) on 8100-8103;
# XUNCHA_HTTP_PORT_BASE moves both (a second deployment on the same machine)
HTTP_PORT_BASE="${XUNCHA_HTTP_PORT_BASE:-8000}"
declare -A SERVICE_PORTS=([reporting]=$HTTP_PORT_BASE [intake]=$((HTTP_PORT_BASE + 1))
    [clues]=$((HTTP_PORT_BASE + 2)) [rectification]=$((HTTP_PORT_BASE + 3)))
REPLICA_PORT_STEP=100

# The topology of the deployment (make up REPLICAS=2 KAFKA_BROKERS=3): what the command line
# asks for, else what the last `make up` recorded in $STATE/topology, else 1 and 1.
TOPOLOGY_FILE="$STATE/topology"
if [[ -f "$TOPOLOGY_FILE" ]]; then
    # shellcheck disable=SC1090
    _saved_replicas="$(. "$TOPOLOGY_FILE" && echo "${REPLICAS:-1}")"
    _saved_brokers="$(. "$TOPOLOGY_FILE" && echo "${KAFKA_BROKERS:-1}")"
fi
REPLICAS="${REPLICAS:-${_saved_replicas:-1}}"
KAFKA_BROKERS="${KAFKA_BROKERS:-${_saved_brokers:-1}}"
[[ "$REPLICAS" =~ ^[12]$ ]] || { echo "REPLICAS must be 1 or 2 (got $REPLICAS)" >&2; exit 2; }
[[ "$KAFKA_BROKERS" =~ ^[13]$ ]] || { echo "KAFKA_BROKERS must be 1 or 3 (got $KAFKA_BROKERS)" >&2; exit 2; }

save_topology() {
    mkdir -p "$STATE"
    printf 'REPLICAS=%s\nKAFKA_BROKERS=%s\n' "$REPLICAS" "$KAFKA_BROKERS" >"$TOPOLOGY_FILE"
}

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${XUNCHA_KAFKA_PORT:-19092}"
KAFKA_DIR="$STATE/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
if ((KAFKA_BROKERS == 1)); then
    # one broker (broker + controller in one JVM): 19092, controller 19093
    KAFKA_CONTROLLER_PORT="${XUNCHA_KAFKA_CONTROLLER_PORT:-19093}"
    KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
else
    # three brokers (each also a controller of the quorum): 19092-19094, controllers from
    # XUNCHA_KAFKA_CONTROLLER_PORT (default 19192, clear of the brokers' ports) on
    KAFKA_CONTROLLER_PORT="${XUNCHA_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 100))}"
    if ((KAFKA_CONTROLLER_PORT + KAFKA_BROKERS > KAFKA_PORT && KAFKA_CONTROLLER_PORT < KAFKA_PORT + KAFKA_BROKERS)); then
        echo "the controller ports $KAFKA_CONTROLLER_PORT.. overlap the brokers' $KAFKA_PORT..; set XUNCHA_KAFKA_CONTROLLER_PORT" >&2
        exit 2
    fi
    KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT,$KAFKA_HOST:$((KAFKA_PORT + 1)),$KAFKA_HOST:$((KAFKA_PORT + 2))"
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
fi

# what the Python side (settings, CLI, tests) reads: the same state folder and ports
export XUNCHA_LOCAL_STATE="$STATE" XUNCHA_PG_PORT="$PG_PORT" XUNCHA_KAFKA_PORT="$KAFKA_PORT"

# instance names of a service: <svc> (copy 1) and <svc>-2 (copy 2)
instances_of() {
    local svc="$1" i
    echo "$svc"
    for ((i = 2; i <= REPLICAS; i++)); do echo "$svc-$i"; done
}
service_of() { echo "${1%-[0-9]}"; }
# port_of INSTANCE: 8001 for intake, 8101 for intake-2
port_of() {
    local inst="$1" svc copy=1
    svc="$(service_of "$inst")"
    [[ "$inst" == "$svc" ]] || copy="${inst##*-}"
    echo $((SERVICE_PORTS[$svc] + (copy - 1) * REPLICA_PORT_STEP))
}

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
    kafka-[0-9]) echo "kafka.Kafka" ;;
    *) echo "xuncha-${1%-[0-9]}" ;;
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

# started_alive PID: a process just started with `&` has not exited. While it is still between
# fork and exec its /proc cmdline may be empty or the shell's, so pid_alive's name check would
# call a healthy start dead; wait loops ask only whether the pid lives.
started_alive() {
    kill -0 "$1" 2>/dev/null
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

# warn_ephemeral_ports: a server port inside the kernel's ephemeral range can be taken, while its
# server is down, by a client retrying its connection to it (a TCP connection to itself); the
# restarted server then fails with "Address already in use" until the client lets go
warn_ephemeral_ports() {
    local lo hi port
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || return 0
    for port in "$PG_PORT" $(seq "$KAFKA_PORT" $((KAFKA_PORT + KAFKA_BROKERS - 1))) "$KAFKA_CONTROLLER_PORT"; do
        if ((port >= lo && port <= hi)); then
            warn "port $port lies in the ephemeral range $lo-$hi (net.ipv4.ip_local_port_range): \
after a crash its server may find it taken by a client's connection to itself; prefer a port below $lo"
        fi
    done
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
    # fast when nothing changed (~1 s); installs everything on a fresh clone. Byte-compiled ahead
    # (the dependencies by uv, our editable sources by compileall, which skips what is current):
    # where PYTHONDONTWRITEBYTECODE is set, as on these machines, Python never writes a .pyc, so
    # every process (each service copy, each CLI a test runs) compiled all its imports again from
    # source: 2.6 times the CPU to import a service (docs/performance.md, "Byte-compiled once").
    (cd "$REPO_ROOT" && "${UV[@]}" sync --all-packages --frozen --quiet --compile-bytecode) || die "uv sync failed"
    (cd "$REPO_ROOT" && "$PY" -m compileall -q -j 0 shared/src services/*/src tests bench >/dev/null) ||
        die "compiling the sources failed ($PY -m compileall)"
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

# ---- supervision (deploy/local/supervise.py) --------------------------------------------------

# supervision_note NAME: ", child pid P, restarts N (last: signal 9 (SIGKILL) at T)" from the
# supervisor's status file of NAME (nothing when it has none)
supervision_note() {
    local f="$RUN_DIR/$1.supervisor.json"
    [[ -s "$f" ]] || return 0
    python3 - "$f" <<'PY' 2>/dev/null || true
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
note = f", child pid {s['child_pid']}" if s.get("child_pid") else f", {s.get('state')}"
note += f", restarts {s.get('restarts', 0)}"
if len(s.get("exits") or {}) > 1:  # how the child ended, when not always the same way
    note += " [" + ", ".join(f"{n}x {how}" for how, n in s["exits"].items()) + "]"
if s.get("last_exit"):
    note += f" (last: {s['last_exit']} at {s['last_exit_at']})"
print(note, end="")
PY
}

#!/usr/bin/env bash
# Project-local PostgreSQL 15 cluster on 127.0.0.1:15432 (XUNCHA_PG_PORT; data in .xuncha/pg),
# SCRAM passwords for every role over TCP (generated into .xuncha/secrets).
# The postmaster runs in the foreground (`postgres -D`, as the postgres user) under
# deploy/local/supervise.py: started again with back-off when it dies (a SIGKILL included; it
# replays its WAL before it accepts connections again). Stop: SIGINT, PostgreSQL's fast shutdown.
# The pid file .xuncha/run/postgres.pid holds the supervisor's pid.
#   pg.sh install | start | stop | status
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pg_install() {
    if [[ -x "$PG_BIN/initdb" ]]; then
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "PostgreSQL $PG_VERSION is missing; install it (apt-get install postgresql) as root"
    log "installing PostgreSQL $PG_VERSION (apt-get install postgresql)"
    local t0
    t0=$(now_ms)
    apt-get update -qq
    # the package's own attempt to start a system cluster on 5432 may be denied by policy-rc.d:
    # harmless, that cluster is never used
    apt-get install -y -qq postgresql >/dev/null
    [[ -x "$PG_BIN/initdb" ]] || die "apt-get installed postgresql but $PG_BIN/initdb is missing"
    ok "PostgreSQL installed in $(($(now_ms) - t0)) ms"
}

# every folder above .xuncha/pg must be searchable by the postgres user
pg_fix_traversal() {
    [[ $EUID -eq 0 ]] || return 0
    local d="$PG_DIR"
    while [[ "$d" != "/" ]]; do
        d="$(dirname "$d")"
        if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
            log "chmod o+x $d (so the postgres user can reach .xuncha/pg)"
            chmod o+x "$d"
        fi
    done
}

# pg_running: a postmaster runs on this data folder (supervised or not)
pg_running() {
    [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 || return 1
}

# pg_supervised: this deployment's supervisor of the postmaster lives
pg_supervised() {
    pid_alive "$RUN_DIR/postgres.pid"
}

# pg_restarts: how often the supervisor has started the postmaster again (0 without one)
pg_restarts() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["restarts"])' \
        "$RUN_DIR/postgres.supervisor.json" 2>/dev/null || echo 0
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -t 2
}

pg_write_config() {
    # rewritten at every start: paths are absolute and the repo may have moved
    local sock="$PG_SOCK"
    if ((${#sock} > 90)); then
        # unix socket paths are limited to 107 bytes
        sock="/tmp/xuncha-pg-$(printf '%s' "$PG_DIR" | sha1sum | cut -c1-10)"
        mkdir -p "$sock"
        [[ $EUID -ne 0 ]] || chown postgres: "$sock"
    fi
    as_postgres tee "$PG_DATA/xuncha.conf" >/dev/null <<EOF
# written by deploy/local/pg.sh at every start; edit there
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 300
shared_buffers = 256MB
work_mem = 8MB
maintenance_work_mem = 128MB
effective_cache_size = 2GB
wal_buffers = 16MB
max_wal_size = 2GB
checkpoint_timeout = 15min
# durable: never turned off here (benchmarks say which setting they ran with)
fsync = on
synchronous_commit = on
full_page_writes = on
# crash recovery starts by syncing the data directory: one syncfs() of its file system instead
# of an fsync() per file (thousands here), which took 20 s of a 37 s recovery
recovery_init_sync_method = syncfs
password_encryption = scram-sha-256
log_timezone = 'UTC'
timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
# a transaction left open and idle holds back the commit-safe order of every relay in the
# cluster (docs/event-store.md): ended after a minute, which bounds that stall
idle_in_transaction_session_timeout = 60s
EOF
    # unchanged (status 1) is fine here: a restart of an existing cluster
    pg_write_hba || true
}

# password authentication (SCRAM) for every role over TCP, the superuser included (its password
# is the generated secret pg-postgres); on the unix socket the OS user `postgres` alone maps to
# the superuser (`peer`), so the scripts (root, through runuser) can always set its password
pg_write_hba() {
    local want
    want="$(cat <<'EOF_HBA'
# written by deploy/local/pg.sh; TYPE DATABASE USER ADDRESS METHOD
local   all   postgres                 peer
local   all   all                      scram-sha-256
host    all   all        127.0.0.1/32  scram-sha-256
EOF_HBA
)"
    if [[ "$(as_postgres cat "$PG_DATA/pg_hba.conf" 2>/dev/null)" == "$want" ]]; then
        return 1
    fi
    printf '%s\n' "$want" | as_postgres tee "$PG_DATA/pg_hba.conf" >/dev/null
    return 0
}

# pg_secure: the superuser gets its generated password and pg_hba.conf asks every TCP client for
# one (an older deployment with `trust` is upgraded here, the running server reloaded)
pg_secure() {
    local pw sock
    pw="$(secret pg-postgres)"
    sock="$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$PG_DATA/xuncha.conf" 2>/dev/null || true)"
    local sql="ALTER ROLE postgres WITH PASSWORD '$pw'"
    if ! PGPASSWORD="$pw" "$PG_BIN/psql" -qAtX -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
        -c "$sql" >/dev/null 2>&1; then
        # the password changed (or never was set under scram): the socket with peer auth
        as_postgres "$PG_BIN/psql" -qAtX -h "${sock:-$PG_SOCK}" -p "$PG_PORT" -U postgres -d postgres \
            -c "$sql" >/dev/null || die "cannot set the password of the PostgreSQL superuser"
    fi
    if pg_write_hba; then
        log "pg_hba.conf: scram-sha-256 for every TCP client (reloading)"
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null
    fi
}

pg_init() {
    if [[ -f "$PG_DATA/PG_VERSION" ]]; then
        return 0
    fi
    log "initdb $PG_DATA"
    mkdir -p "$PG_DIR" "$PG_SOCK"
    [[ $EUID -ne 0 ]] || chown postgres: "$PG_DIR" "$PG_SOCK"
    chmod 0755 "$PG_DIR"
    pg_fix_traversal
    local t0
    t0=$(now_ms)
    # initdb refuses to run as root: run as the postgres system user
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1 || {
        tail -n 30 "$PG_DIR/initdb.log" >&2
        die "initdb failed (log: $PG_DIR/initdb.log)"
    }
    as_postgres sh -c "echo \"include_if_exists = 'xuncha.conf'\" >> '$PG_DATA/postgresql.conf'"
    ok "initdb done in $(($(now_ms) - t0)) ms"
}

# pg_spawn: the postmaster in the foreground under supervise.py, as the postgres user; its
# server log (stderr) and the supervisor's lines go to .xuncha/pg/postgresql.log
pg_spawn() {
    [[ -e "$PG_LOG" ]] || as_postgres touch "$PG_LOG"
    ln -sfn ../pg/postgresql.log "$LOG_DIR/postgres.log"
    local user=()
    [[ $EUID -ne 0 ]] || user=(--user postgres)
    setsid nohup "$PY" "$DEPLOY_DIR/supervise.py" --name postgres --run-dir "$RUN_DIR" \
        --stop-signal INT --grace 60 "${user[@]}" -- \
        "$PG_BIN/postgres" -D "$PG_DATA" >>"$PG_LOG" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/postgres.pid"
}

pg_start() {
    pg_install
    ensure_state_dirs
    ensure_secrets
    if pg_supervised && pg_ready; then
        pg_secure
        ok "PostgreSQL already running on $PG_HOST:$PG_PORT"
        return 0
    fi
    pg_init
    pg_fix_traversal
    if ! pg_supervised; then
        rm -f "$RUN_DIR/postgres.pid"
        if pg_running; then
            # started by an older pg.sh (pg_ctl) or left behind by a killed supervisor: stopped
            # and started again under the supervisor
            log "PostgreSQL runs without the supervisor: restarting it under supervise.py"
            as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null ||
                die "cannot stop the unsupervised PostgreSQL (pg_ctl -D $PG_DATA stop)"
        fi
        if port_in_use "$PG_PORT"; then
            die "port $PG_PORT is taken by another process (not this repo's cluster): stop it first"
        fi
        pg_write_config
        log "starting PostgreSQL on $PG_HOST:$PG_PORT (supervised)"
        pg_spawn
    else
        log "PostgreSQL (supervisor pid $(<"$RUN_DIR/postgres.pid")) runs but does not accept connections yet; waiting"
    fi
    # after a crash (SIGKILL, power loss) PostgreSQL replays its WAL before it accepts
    # connections, and the supervisor may still wait to start it again: wait for both as long
    # as the supervisor lives (up to PG_RECOVERY_TIMEOUT s), unless the postmaster keeps exiting
    local t0 i said=0 limit=$((${PG_RECOVERY_TIMEOUT:-600} * 10)) restarts0
    t0=$(now_ms)
    restarts0="$(pg_restarts)"
    for ((i = 0; i < limit; i++)); do
        if pg_ready; then
            ok "PostgreSQL accepts connections after $(($(now_ms) - t0)) ms"
            pg_secure
            return 0
        fi
        if ! started_alive "$(<"$RUN_DIR/postgres.pid")"; then
            tail -n 30 "$PG_LOG" >&2
            die "PostgreSQL's supervisor stopped while starting (log: $PG_LOG)"
        fi
        if (($(pg_restarts) - restarts0 >= 4)); then
            tail -n 30 "$PG_LOG" >&2
            die "PostgreSQL keeps exiting right after its start (log: $PG_LOG)"
        fi
        if ((i == 30 && !said)); then
            log "PostgreSQL does not accept connections yet (crash recovery?); waiting"
            said=1
        fi
        sleep 0.1
    done
    tail -n 30 "$PG_LOG" >&2
    die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${PG_RECOVERY_TIMEOUT:-600}s"
}

# pg_stop: SIGTERM to the supervisor alone (never its process group: a SIGTERM to the postmaster
# would be the smart shutdown, waiting for every client); it sends the postmaster SIGINT, the
# fast shutdown, SIGKILL after 60 s. An unsupervised postmaster is stopped with pg_ctl.
pg_stop() {
    local f="$RUN_DIR/postgres.pid" pid i
    if pid_alive "$f"; then
        pid="$(<"$f")"
        log "stopping PostgreSQL (supervisor pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 700; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && die "PostgreSQL's supervisor (pid $pid) did not stop within 70 s"
        ok "PostgreSQL stopped"
    fi
    rm -f "$f"
    if pg_running; then
        log "stopping PostgreSQL (not supervised)"
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
        ok "PostgreSQL stopped"
    fi
}

pg_status() {
    if pg_running && pg_ready; then
        local note=", not supervised (make up restarts it under the supervisor)"
        pg_supervised && note="$(supervision_note postgres)"
        echo "postgres: running on $PG_HOST:$PG_PORT (pid $(head -n 1 "$PG_DATA/postmaster.pid"))$note"
    elif pg_supervised; then
        echo "postgres: starting or in crash recovery (not accepting connections yet)$(supervision_note postgres)"
        return 1
    else
        echo "postgres: stopped"
        return 1
    fi
}

case "${1:-}" in
install) pg_install ;;
start) pg_start ;;
stop) pg_stop ;;
status) pg_status ;;
*) die "usage: $0 install|start|stop|status" ;;
esac

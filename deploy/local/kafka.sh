#!/usr/bin/env bash
# Project-local KRaft Apache Kafka, SASL/SCRAM-SHA-512 and ACLs (StandardAuthorizer):
#   KAFKA_BROKERS=1 (default): one node on 127.0.0.1:19092 (controller 19093)
#   KAFKA_BROKERS=3: three nodes on 19092-19094 (controllers 19192-19194), topics replicated
#     three times, min.insync.replicas=2, no unclean leader election
# (XUNCHA_KAFKA_PORT and XUNCHA_KAFKA_CONTROLLER_PORT move the first port of each range.)
# Each JVM runs under deploy/local/supervise.py: restarted with back-off when it dies.
# The broker is the real thing: kafka_2.13 jars resolved from Maven Central by
# deploy/local/kafka/pom.xml into .xuncha/kafka/libs (cached).
#   kafka.sh install | start | stop | status
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POM="$DEPLOY_DIR/kafka/pom.xml"
# the JVM's options besides the heap (Kafka's own scripts read the same variable): G1 with short
# pauses, as Kafka's scripts default to; -XX:-UsePerfData drops the hsperfdata sampler, which
# woke every 50 ms for jstat, which nothing here uses (docs/performance.md, "An idle deployment")
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:-UsePerfData}"
MARKER="$KAFKA_LIBS/.complete"
CP="$KAFKA_LIBS/*"

kafka_install() {
    command -v java >/dev/null || die "java (17+) is required for the local Kafka broker"
    local want
    want="$(sha256sum "$POM" | cut -d' ' -f1)"
    if [[ -f "$MARKER" && "$(<"$MARKER")" == "$want" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "maven (mvn) is required to fetch the Kafka jars"
    log "fetching Kafka jars with Maven into $KAFKA_LIBS"
    local t0 tmp="$KAFKA_DIR/libs.tmp"
    t0=$(now_ms)
    rm -rf "$tmp"
    mkdir -p "$KAFKA_DIR"
    mvn -B -q -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$KAFKA_DIR/mvn.log" 2>&1 || {
        tail -n 40 "$KAFKA_DIR/mvn.log" >&2
        die "mvn dependency:copy-dependencies failed (log: $KAFKA_DIR/mvn.log)"
    }
    ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Maven ran but no kafka_2.13 jar in $tmp"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    echo "$want" >"$MARKER"
    ok "Kafka jars ready ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars) in $(($(now_ms) - t0)) ms"
}

# ---- nodes: "kafka" (one broker) or "kafka-1".."kafka-3" (make up KAFKA_BROKERS=3) ----------
# Each node is broker and controller in one JVM; three nodes form a static controller quorum.
node_names() {
    if ((KAFKA_BROKERS == 1)); then echo kafka; else seq -f 'kafka-%g' 1 "$KAFKA_BROKERS"; fi
}
node_index() { if [[ "$1" == kafka ]]; then echo 1; else echo "${1#kafka-}"; fi; }
node_port() { echo $((KAFKA_PORT + $(node_index "$1") - 1)); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + $(node_index "$1") - 1)); }
node_dir() { if [[ "$1" == kafka ]]; then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$(node_index "$1")"; fi; }
node_data() { if [[ "$1" == kafka ]]; then echo "$KAFKA_DATA"; else echo "$(node_dir "$1")/data"; fi; }
node_props() { echo "$(node_dir "$1")/server.properties"; }

# the node's server.properties, rendered by kafka-properties.sh (the tests' private clusters
# render theirs with it too): the brokers' and the controllers' ports of every node of the
# cluster, whose i-th node is kafka-i (or kafka alone)
kafka_config() {
    local node="$1" data props n ports=() cports=()
    data="$(node_data "$node")" props="$(node_props "$node")"
    for n in $(node_names); do
        ports+=("$(node_port "$n")")
        cports+=("$(node_controller_port "$n")")
    done
    mkdir -p "$data"
    # the rendered file holds the admin's password: readable by this user only
    (
        umask 077
        IFS=, # the lists of ports, comma-separated
        KAFKA_ADMIN_PASSWORD="$(secret kafka-admin)" "$DEPLOY_DIR/kafka-properties.sh" \
            "$(node_index "$node")" "$data" "${ports[*]}" "${cports[*]}" >"$props"
    )
    chmod 0600 "$props"
}

# the other topology's data must not be left behind silently: switching between one and three
# brokers is a new cluster (topics, offsets and the history on Kafka start empty)
kafka_check_topology() {
    local other
    if ((KAFKA_BROKERS == 1)); then other="$KAFKA_DIR/node-1/data"; else other="$KAFKA_DATA"; fi
    if [[ -f "$other/meta.properties" ]]; then
        die "this deployment's Kafka was formatted for $(((KAFKA_BROKERS == 1) ? 3 : 1)) broker(s) ($other); \
switching is a new cluster: make clean first (or keep KAFKA_BROKERS as it was)"
    fi
}

# the SCRAM users: admin (super user), one principal per service and one per receiving department
# (it reads only its share topic), passwords generated into .xuncha/secrets/kafka-<name>
DEPARTMENT_USERS=(dept-discipline_commission dept-organisation dept-petitions dept-audit dept-finance)
KAFKA_USERS=(admin "${SERVICES[@]}" "${DEPARTMENT_USERS[@]}")
USERS_MARKER="$KAFKA_DIR/scram-users.sha256"

users_digest() {
    local u
    for u in "${KAFKA_USERS[@]}"; do printf '%s:%s\n' "$u" "$(secret "kafka-$u")"; done | sha256sum | cut -d' ' -f1
}

# kafka_users: an existing cluster (formatted before authentication, or a password changed) gets
# its SCRAM users from the admin over SASL/PLAIN (defined in server.properties, so it works
# before any SCRAM user exists): kafka-configs --alter --add-config SCRAM-SHA-512=[...]
kafka_users() {
    local want u cfg
    want="$(users_digest)"
    if [[ -f "$USERS_MARKER" && "$(<"$USERS_MARKER")" == "$want" ]]; then
        return 0
    fi
    log "Kafka: creating the SCRAM-SHA-512 users (${KAFKA_USERS[*]})"
    cfg="$KAFKA_DIR/admin-plain.properties"
    (
        umask 077
        printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=PLAIN" \
            "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$(secret kafka-admin)\";" \
            >"$cfg"
    )
    for u in "${KAFKA_USERS[@]}"; do
        java -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.xml" -Dxuncha.logdir="$LOG_DIR" \
            -cp "$CP" kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
            --command-config "$cfg" --alter --entity-type users --entity-name "$u" \
            --add-config "SCRAM-SHA-512=[iterations=4096,password=$(secret "kafka-$u")]" \
            >>"$KAFKA_DIR/users.log" 2>&1 || {
            tail -n 20 "$KAFKA_DIR/users.log" >&2
            die "cannot create the Kafka user $u"
        }
    done
    echo "$want" >"$USERS_MARKER"
    ok "Kafka users ready"
}

kafka_format() {
    local node="$1" data props
    data="$(node_data "$node")" props="$(node_props "$node")"
    if [[ -f "$data/meta.properties" ]]; then
        return 0
    fi
    log "formatting KRaft storage of $node in $data"
    local cid cidfile="$KAFKA_DIR/cluster-id"
    if ((KAFKA_BROKERS > 1)) && [[ -s "$cidfile" ]]; then
        cid="$(<"$cidfile")" # the nodes of one cluster share its id
    else
        cid="$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
        [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid gave no cluster id"
        echo "$cid" >"$cidfile"
    fi
    local u scram=() mode=(--standalone)
    ((KAFKA_BROKERS == 1)) || mode=() # static quorum: controller.quorum.voters
    for u in "${KAFKA_USERS[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$u,iterations=4096,password=$(secret "kafka-$u")]")
    done
    java -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.xml" -Dxuncha.logdir="$LOG_DIR" \
        -cp "$CP" kafka.tools.StorageTool format "${mode[@]}" -t "$cid" -c "$props" \
        "${scram[@]}" >"$KAFKA_DIR/format.log" 2>&1 || {
        cat "$KAFKA_DIR/format.log" >&2
        die "kafka storage format of $node failed"
    }
    users_digest >"$USERS_MARKER"
    ok "formatted $node (cluster id $cid) with the SCRAM users ${KAFKA_USERS[*]}"
}

kafka_probe() {
    provision wait-kafka --bootstrap "$KAFKA_BOOTSTRAP" --timeout "${1:-3}" --brokers "${2:-1}" --quiet
}

# kafka_spawn NODE: start the node's JVM under deploy/local/supervise.py (restarted when it
# dies, with back-off); the pid file holds the supervisor's pid
kafka_spawn() {
    local node="$1" port cport
    port="$(node_port "$node")" cport="$(node_controller_port "$node")"
    if port_in_use "$port" || port_in_use "$cport"; then
        die "port $port or $cport ($node) is taken by a process this repo did not start"
    fi
    kafka_config "$node"
    kafka_format "$node"
    log "starting $node on $KAFKA_HOST:$port (controller $cport, heap $KAFKA_HEAP_OPTS)"
    # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS hold several options
    setsid nohup "$PY" "$DEPLOY_DIR/supervise.py" --name "$node" --run-dir "$RUN_DIR" --grace 30 -- \
        java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.xml" \
        -Dxuncha.logdir="$LOG_DIR" -Dxuncha.logname="$node" -Dkafka.logs.dir="$LOG_DIR" \
        -cp "$CP" kafka.Kafka "$(node_props "$node")" \
        >>"$(node_dir "$node")/console.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$node.pid"
}

kafka_start() {
    ensure_state_dirs
    ensure_secrets
    kafka_check_topology
    local node first
    first="$(node_names | head -n 1)"
    if pid_alive "$RUN_DIR/$first.pid" && ! grep -qs '^authorizer.class.name=' "$(node_props "$first")"; then
        # the broker of an older deployment (PLAINTEXT, no ACLs): restart it with authentication
        log "Kafka runs without authentication: restarting it with SASL/SCRAM and ACLs"
        kafka_stop
    fi
    local all_alive=1
    for node in $(node_names); do pid_alive "$RUN_DIR/$node.pid" || all_alive=0; done
    if ((all_alive)) && kafka_probe 5 "$KAFKA_BROKERS"; then
        ok "Kafka already running on $KAFKA_BOOTSTRAP ($KAFKA_BROKERS broker(s))"
        kafka_users # a principal added since (a department's): created once, else a no-op
        return 0
    fi
    kafka_install
    for node in $(node_names); do
        if pid_alive "$RUN_DIR/$node.pid"; then
            # our broker runs but does not answer (yet): give it the start-up budget
            log "$node (pid $(<"$RUN_DIR/$node.pid")) runs but the cluster does not answer yet; waiting"
        else
            rm -f "$RUN_DIR/$node.pid"
            kafka_spawn "$node"
        fi
    done
    local t0 i
    t0=$(now_ms)
    # the listeners open first; the users must exist before a SCRAM client can ask for metadata
    for ((i = 0; i < 1200; i++)); do
        port_in_use "$(node_port "$first")" && port_in_use "$(node_controller_port "$first")" && break
        pid_alive "$RUN_DIR/$first.pid" || break
        sleep 0.1
    done
    pid_alive "$RUN_DIR/$first.pid" && kafka_users
    if ! provision wait-kafka --bootstrap "$KAFKA_BOOTSTRAP" --timeout 120 --brokers "$KAFKA_BROKERS" \
        --pid "$(<"$RUN_DIR/$first.pid")"; then
        for node in $(node_names); do
            echo "--- tail of $LOG_DIR/$node.log" >&2
            tail -n 30 "$LOG_DIR/$node.log" >&2 2>/dev/null || true
            echo "--- tail of $(node_dir "$node")/console.log" >&2
            tail -n 10 "$(node_dir "$node")/console.log" >&2 2>/dev/null || true
        done
        die "Kafka did not become ready on $KAFKA_BOOTSTRAP"
    fi
    ok "Kafka ready on $KAFKA_BOOTSTRAP ($KAFKA_BROKERS broker(s)) in $(($(now_ms) - t0)) ms"
}

kafka_stop() {
    # controlled shutdown of a KRaft node takes a few seconds; SIGKILL only after 30 s. Every
    # node this state knows of, whatever the topology asked for now.
    local f node
    for f in "$RUN_DIR"/kafka.pid "$RUN_DIR"/kafka-[0-9].pid; do
        [[ -e "$f" ]] || continue
        node="$(basename "$f" .pid)"
        stop_pidfile "$node" 35
    done
}

kafka_status() {
    local node rc=0
    for node in $(node_names); do
        if pid_alive "$RUN_DIR/$node.pid"; then
            echo "$node: running on $KAFKA_HOST:$(node_port "$node") (pid $(<"$RUN_DIR/$node.pid"))$(supervision_note "$node")"
        else
            echo "$node: stopped"
            rc=1
        fi
    done
    if ((rc == 0)) && ! kafka_probe 3 "$KAFKA_BROKERS"; then
        echo "kafka: the cluster does not answer on $KAFKA_BOOTSTRAP with $KAFKA_BROKERS broker(s)"
        rc=1
    fi
    return $rc
}

case "${1:-}" in
install) kafka_install ;;
start) kafka_start ;;
stop) kafka_stop ;;
status) kafka_status ;;
users) kafka_users ;;
*) die "usage: $0 install|start|stop|status|users" ;;
esac

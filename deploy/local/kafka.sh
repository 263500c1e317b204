#!/usr/bin/env bash
# Project-local single-node KRaft Apache Kafka on 127.0.0.1:19092 (controller 19093; XUNCHA_KAFKA_PORT
# and XUNCHA_KAFKA_CONTROLLER_PORT override), SASL/SCRAM-SHA-512 and ACLs (StandardAuthorizer).
# The broker is the real thing: kafka_2.13 jars resolved from Maven Central by
# deploy/local/kafka/pom.xml into .xuncha/kafka/libs (cached).
#   kafka.sh install | start | stop | status
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POM="$DEPLOY_DIR/kafka/pom.xml"
MARKER="$KAFKA_LIBS/.complete"
PIDFILE="$RUN_DIR/kafka.pid"
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

kafka_config() {
    mkdir -p "$KAFKA_DATA"
    # the rendered file holds the admin's password: readable by this user only
    (
        umask 077
        sed -e "s#@KAFKA_DATA@#$KAFKA_DATA#g" \
            -e "s#@BROKER_PORT@#$KAFKA_PORT#g" \
            -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
            -e "s#@ADMIN_PASSWORD@#$(secret kafka-admin)#g" \
            "$DEPLOY_DIR/kafka/server.properties.template" >"$KAFKA_PROPS"
    )
    chmod 0600 "$KAFKA_PROPS"
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
    if [[ -f "$KAFKA_DATA/meta.properties" ]]; then
        return 0
    fi
    log "formatting KRaft storage in $KAFKA_DATA"
    local cid
    cid="$(java -cp "$CP" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [[ -n "$cid" ]] || die "kafka.tools.StorageTool random-uuid gave no cluster id"
    local u scram=()
    for u in "${KAFKA_USERS[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=$u,iterations=4096,password=$(secret "kafka-$u")]")
    done
    java -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.xml" -Dxuncha.logdir="$LOG_DIR" \
        -cp "$CP" kafka.tools.StorageTool format --standalone -t "$cid" -c "$KAFKA_PROPS" \
        "${scram[@]}" >"$KAFKA_DIR/format.log" 2>&1 || {
        cat "$KAFKA_DIR/format.log" >&2
        die "kafka storage format failed"
    }
    users_digest >"$USERS_MARKER"
    ok "formatted (cluster id $cid) with the SCRAM users ${KAFKA_USERS[*]}"
}

kafka_probe() {
    provision wait-kafka --bootstrap "$KAFKA_BOOTSTRAP" --timeout "${1:-3}" --quiet
}

kafka_start() {
    ensure_state_dirs
    ensure_secrets
    if pid_alive "$PIDFILE" && ! grep -qs '^authorizer.class.name=' "$KAFKA_PROPS"; then
        # the broker of an older deployment (PLAINTEXT, no ACLs): restart it with authentication
        log "Kafka runs without authentication: restarting it with SASL/SCRAM and ACLs"
        kafka_stop
    fi
    if pid_alive "$PIDFILE"; then
        if kafka_probe 5; then
            ok "Kafka already running on $KAFKA_BOOTSTRAP (pid $(<"$PIDFILE"))"
            kafka_users # a principal added since (a department's): created once, else a no-op
            return 0
        fi
        # our broker runs but does not answer (yet): give it the start-up budget
        log "Kafka (pid $(<"$PIDFILE")) runs but does not answer yet; waiting"
    else
        rm -f "$PIDFILE"
        if port_in_use "$KAFKA_PORT" || port_in_use "$KAFKA_CONTROLLER_PORT"; then
            die "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by a process this repo did not start"
        fi
        kafka_install
        kafka_config
        kafka_format
        log "starting Kafka on $KAFKA_BOOTSTRAP (heap $KAFKA_HEAP_OPTS)"
        # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS holds several options
        setsid nohup java $KAFKA_HEAP_OPTS \
            -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
            -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
            -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.xml" \
            -Dxuncha.logdir="$LOG_DIR" -Dkafka.logs.dir="$LOG_DIR" \
            -cp "$CP" kafka.Kafka "$KAFKA_PROPS" \
            >>"$KAFKA_DIR/console.log" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
    fi
    local t0
    t0=$(now_ms)
    # the listeners open first; the users must exist before a SCRAM client can ask for metadata
    local i
    for ((i = 0; i < 1200; i++)); do
        port_in_use "$KAFKA_PORT" && port_in_use "$KAFKA_CONTROLLER_PORT" && break
        pid_alive "$PIDFILE" || break
        sleep 0.1
    done
    pid_alive "$PIDFILE" && kafka_users
    if ! provision wait-kafka --bootstrap "$KAFKA_BOOTSTRAP" --timeout 120 --pid "$(<"$PIDFILE")"; then
        echo "--- tail of $LOG_DIR/kafka.log" >&2
        tail -n 40 "$LOG_DIR/kafka.log" >&2 2>/dev/null || true
        echo "--- tail of $KAFKA_DIR/console.log" >&2
        tail -n 20 "$KAFKA_DIR/console.log" >&2 2>/dev/null || true
        die "Kafka did not become ready on $KAFKA_BOOTSTRAP"
    fi
    ok "Kafka ready on $KAFKA_BOOTSTRAP in $(($(now_ms) - t0)) ms"
}

kafka_stop() {
    # controlled shutdown of a single KRaft node takes a few seconds; SIGKILL only after 30 s
    stop_pidfile kafka 30
}

kafka_status() {
    if pid_alive "$PIDFILE" && kafka_probe 3; then
        echo "kafka: running on $KAFKA_BOOTSTRAP (pid $(<"$PIDFILE"))"
    else
        echo "kafka: stopped"
        return 1
    fi
}

case "${1:-}" in
install) kafka_install ;;
start) kafka_start ;;
stop) kafka_stop ;;
status) kafka_status ;;
users) kafka_users ;;
*) die "usage: $0 install|start|stop|status|users" ;;
esac

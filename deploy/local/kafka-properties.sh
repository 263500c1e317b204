#!/usr/bin/env bash
# Renders one KRaft node's server.properties (broker and controller in one JVM) to stdout, from
# deploy/local/kafka/server.properties.template: what `make up` runs (deploy/local/kafka.sh) and
# what the tests' private clusters run (tests/support/kafka_broker.py).
#   kafka-properties.sh NODE_ID DATA_DIR BROKER_PORTS CONTROLLER_PORTS
# BROKER_PORTS and CONTROLLER_PORTS list the cluster's nodes in order, comma-separated (node i
# listens on the i-th of each). One node: the template as it is (a standalone controller,
# replication 1). Three: a static quorum of the three controllers, every internal topic and
# every default replicated three times, writes acknowledged by two, no unclean leader election.
# The admin's password comes from the environment (KAFKA_ADMIN_PASSWORD), never the command
# line; the output holds it, so the caller writes it to a file only its user can read.
set -euo pipefail

TEMPLATE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka/server.properties.template"
HOST=127.0.0.1

usage() {
    echo "usage: KAFKA_ADMIN_PASSWORD=... $0 NODE_ID DATA_DIR BROKER_PORTS CONTROLLER_PORTS" >&2
    exit 2
}
(($# == 4)) || usage
node="$1" data="$2"
IFS=, read -r -a ports <<<"$3"
IFS=, read -r -a cports <<<"$4"
nodes=${#ports[@]}
[[ -n "${KAFKA_ADMIN_PASSWORD:-}" ]] || { echo "KAFKA_ADMIN_PASSWORD is not set" >&2; exit 2; }
((nodes == ${#cports[@]})) || { echo "as many controller ports as broker ports" >&2; exit 2; }
((nodes == 1 || nodes == 3)) || { echo "a cluster of 1 or 3 nodes (got $nodes)" >&2; exit 2; }
[[ "$node" =~ ^[0-9]+$ ]] && ((node >= 1 && node <= nodes)) || { echo "node $node of $nodes?" >&2; exit 2; }

sed -e "s#@KAFKA_DATA@#$data#g" \
    -e "s#@BROKER_PORT@#${ports[node - 1]}#g" \
    -e "s#@CONTROLLER_PORT@#${cports[node - 1]}#g" \
    -e "s#@ADMIN_PASSWORD@#$KAFKA_ADMIN_PASSWORD#g" \
    -e "s#^node.id=.*#node.id=$node#" \
    "$TEMPLATE" | if ((nodes == 1)); then cat; else sed -e '/^controller.quorum.bootstrap.servers=/d'; fi
if ((nodes > 1)); then
    # the later keys override the template's
    voters=()
    for ((i = 1; i <= nodes; i++)); do voters+=("$i@$HOST:${cports[i - 1]}"); done
    printf '%s\n' "" "# ---- three brokers (deploy/local/kafka-properties.sh) ----" \
        "controller.quorum.voters=$(
            IFS=,
            echo "${voters[*]}"
        )" \
        "default.replication.factor=3" "min.insync.replicas=2" \
        "unclean.leader.election.enable=false" \
        "offsets.topic.replication.factor=3" \
        "transaction.state.log.replication.factor=3" "transaction.state.log.min.isr=2" \
        "share.coordinator.state.topic.replication.factor=3" \
        "share.coordinator.state.topic.min.isr=2"
fi

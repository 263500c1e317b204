#!/usr/bin/env bash
# Writes the .env that docker-compose.yml reads (mode 0600, next to docker-compose.yml) from the
# generated secrets of the local deployment (.xuncha/secrets, created here if missing):
#   deploy/compose/env-from-secrets.sh [SECRETS_DIR]
# Production puts the same variables in its secrets manager instead.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$REPO_ROOT/.xuncha/secrets}"
"$REPO_ROOT/.venv/bin/python" -m xuncha_shared.secrets --dir "$DIR" ensure
out="$REPO_ROOT/.env"
umask 077
{
    for role in postgres intake clues rectification reporting xuncha_auditor; do
        echo "XUNCHA_PG_PASSWORD_${role^^}=$(tr -d '\n' <"$DIR/pg-$role")"
    done
    for user in admin intake clues rectification reporting; do
        echo "XUNCHA_KAFKA_PASSWORD_${user^^}=$(tr -d '\n' <"$DIR/kafka-$user")"
    done
    echo "XUNCHA_KEK=$(tr -d '\n' <"$DIR/kek")"
    # the bearer token Prometheus sends to GET /metrics (generated once, kept with the others)
    if [[ ! -s "$DIR/metrics-token" ]]; then
        "$REPO_ROOT/.venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$DIR/metrics-token"
    fi
    echo "XUNCHA_METRICS_TOKEN=$(tr -d '\n' <"$DIR/metrics-token")"
    echo "XUNCHA_RECEIPT_KEY=$(tr -d '\n' <"$DIR/receipt-key")"
} >"$out"
echo "wrote $out"

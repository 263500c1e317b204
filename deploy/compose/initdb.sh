#!/bin/bash
# docker-compose: runs once, when the postgres:15 container initialises an empty data volume
# (/docker-entrypoint-initdb.d). The same roles and databases as deploy/local
# (python -m xuncha_shared.provision databases): one role + one database per service, the role
# owns its database and nobody else may connect. Passwords equal the role names (development
# only; production injects secrets and keeps XUNCHA_DATABASE_URL in sync).
set -euo pipefail
for svc in intake clues rectification reporting; do
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE "$svc" WITH LOGIN PASSWORD '$svc';
CREATE DATABASE "$svc" OWNER "$svc";
REVOKE CONNECT, TEMPORARY ON DATABASE "$svc" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE "$svc" TO "$svc";
SQL
done

#!/bin/bash
# docker-compose: runs once, when the postgres:15 container initialises an empty data volume
# (/docker-entrypoint-initdb.d). The same roles and databases as deploy/local
# (python -m xuncha_shared.provision databases): one role + one database per service, the role
# owns its database and nobody else may connect but the auditors' read-only role xuncha_auditor.
# Passwords come from the environment (XUNCHA_PG_PASSWORD_<ROLE>, XUNCHA_AUDITOR_PASSWORD; see
# docker-compose.yml); none is ever the role name. The auditor's per-table grants need the
# tables: the one-shot `provision` service applies them.
set -euo pipefail
auditor_password="${XUNCHA_AUDITOR_PASSWORD:?XUNCHA_AUDITOR_PASSWORD is required}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE xuncha_auditor WITH LOGIN PASSWORD '$auditor_password';
SQL
for svc in intake clues rectification reporting; do
    var="XUNCHA_PG_PASSWORD_${svc^^}"
    password="${!var:?$var is required}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE "$svc" WITH LOGIN PASSWORD '$password';
CREATE DATABASE "$svc" OWNER "$svc";
REVOKE CONNECT, TEMPORARY ON DATABASE "$svc" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE "$svc" TO "$svc";
GRANT CONNECT ON DATABASE "$svc" TO xuncha_auditor;
SQL
done

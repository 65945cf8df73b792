#!/usr/bin/env bash
# Restores a dump made by backup.sh into DATABASE_URL's database:
#   DATABASE_URL=postgres://… deploy/scripts/restore.sh /var/backups/ludic/ludic-….dump
# Stop every service instance first (systemctl stop 'ludic-*@*'). The Ludic schemas are dropped
# and recreated from the dump in ONE transaction: it ends restored, or unchanged. Then run the
# audits (docs/deploy.md, "Backups") before starting the services again.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to restore into}"
dump="${1:?usage: restore.sh DUMP_FILE}"
pg_restore --list "$dump" >/dev/null
pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$dump"
echo "restored $dump"

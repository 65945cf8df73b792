#!/usr/bin/env bash
# Backs up Ludic's database (every service's schema, one consistent snapshot):
#   DATABASE_URL=postgres://… deploy/scripts/backup.sh [BACKUP_DIR]    (default /var/backups/ludic)
# Connect to PostgreSQL itself, not through PgBouncer. Writes ludic-<UTC time>.dump in pg_dump's
# custom format (compressed, restorable table by table), checks that pg_restore can read it,
# then keeps the newest KEEP (default 14) dumps. Prints the dump's path.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
dir="${1:-/var/backups/ludic}"
keep="${KEEP:-14}"
umask 077
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$dir/ludic-$stamp.dump"
partial="$dir/.ludic-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --file="$partial" --dbname="$DATABASE_URL"
pg_restore --list "$partial" >/dev/null
if [ -e "$final" ]; then
  echo "backup: $final already exists" >&2
  exit 1
fi
mv "$partial" "$final"
# Newest first; everything past the newest $keep goes.
ls -1t "$dir"/ludic-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
echo "$final"

#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL with logical decoding on 127.0.0.1:5432,
# with TLS (the certificate of scripts/make-test-certs.sh), and creates the role/database Relay's tests and
# demo use: relay/relay, database "relay".
# Idempotent; needs root on Debian. Prints the connection string on its last line.
set -euo pipefail
PGVER=${PGVER:-15}
if ! command -v pg_ctlcluster >/dev/null || [ ! -d "/usr/lib/postgresql/$PGVER" ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-$PGVER" postgresql-client >/dev/null
fi
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PGVER main"; then
  pg_createcluster "$PGVER" main >/dev/null
fi
tls=$("$(dirname "$0")/make-test-certs.sh" | tail -n 1)
# The server reads its key only when the postgres user owns it and nobody else may read it.
install -o postgres -g postgres -m 600 "$tls/server.key" "/etc/postgresql/$PGVER/main/relay-tls.key"
install -o postgres -g postgres -m 644 "$tls/server.crt" "/etc/postgresql/$PGVER/main/relay-tls.crt"
conf=/etc/postgresql/$PGVER/main/conf.d/relay-logical.conf
want="wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
listen_addresses = '127.0.0.1'
port = 5432
max_connections = 200
fsync = ${RELAY_PG_FSYNC:-on}
ssl = on
ssl_cert_file = '/etc/postgresql/$PGVER/main/relay-tls.crt'
ssl_key_file = '/etc/postgresql/$PGVER/main/relay-tls.key'"
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"; echo "$want" > "$conf"
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main stop >/dev/null 2>&1 || true
fi
if ! pg_lsclusters -h | grep -E "^$PGVER +main" | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start
fi
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL did not start; see /var/log/postgresql/" >&2; exit 1; }
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relay') THEN
    CREATE ROLE relay LOGIN REPLICATION CREATEDB CREATEROLE PASSWORD 'relay';
  END IF;
  -- CREATEROLE lets tests create a role without REPLICATION to check the rights errors.
  ALTER ROLE relay CREATEROLE;
END $$;
SELECT 'CREATE DATABASE relay OWNER relay' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'relay')\gexec
SQL
echo "Host=127.0.0.1;Port=5432;Username=relay;Password=relay;Database=relay"

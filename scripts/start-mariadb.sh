#!/usr/bin/env bash
# Installs (if missing) and starts a local MariaDB on 127.0.0.1:3306 with the binary log as binlog
# tailing needs it (ROW format, FULL row image, FULL row metadata, CRC32 checksums), and creates the
# role Relay's tests and demo use: relay/relay, allowed to create databases and to read the binlog.
# Idempotent; needs root on Debian; runs without systemd. Prints the connection string on its last line.
set -euo pipefail
if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
  apt-get update -q >/dev/null
  # The package tries to start the service and cannot without systemd; that is harmless.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-client >/dev/null 2>&1 || true
  command -v mariadbd >/dev/null || { echo "Installing mariadb-server failed; run: apt-get install mariadb-server" >&2; exit 1; }
fi
conf=/etc/mysql/mariadb.conf.d/60-relay-cdc.cnf
want="[mysqld]
server_id = 1
log_bin = /var/log/mysql/mysql-bin
binlog_format = ROW
binlog_row_image = FULL
binlog_row_metadata = FULL
binlog_checksum = CRC32
bind-address = 127.0.0.1
port = 3306
max_connections = 500
max_allowed_packet = 256M
plugin_load_add = auth_ed25519
innodb_flush_log_at_trx_commit = ${RELAY_MARIADB_FLUSH:-1}"
ping() { mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; }
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$conf")"; echo "$want" > "$conf"
  if ping; then mysqladmin --protocol=socket -uroot shutdown || true; for _ in $(seq 1 100); do ping || break; sleep 0.1; done; fi
fi
mkdir -p /run/mysqld /var/log/mysql
chown mysql:mysql /run/mysqld /var/log/mysql
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
fi
if ! ping; then
  (setsid mysqld_safe --user=mysql >/dev/null 2>&1 &)
  for _ in $(seq 1 150); do ping && break; sleep 0.2; done
fi
ping || { echo "MariaDB did not start; see /var/log/mysql/ and /var/lib/mysql/*.err" >&2; exit 1; }
mariadb --protocol=socket -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'relay'@'%' IDENTIFIED BY 'relay';
CREATE USER IF NOT EXISTS 'relay'@'localhost' IDENTIFIED BY 'relay';
-- Tests create a database each and users with fewer rights to check the rights errors, flush and
-- purge binary logs and read the binlog, so the test role may do all of it.
GRANT ALL PRIVILEGES ON *.* TO 'relay'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'relay'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS relay;
SQL
echo "Server=127.0.0.1;Port=3306;User ID=relay;Password=relay;Database=relay"

#!/usr/bin/env bash
# Starts every server the tests need and prints the environment that points the tests at them.
# Usage: eval "$(scripts/test-servers.sh)"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pg=$("$here/start-postgres.sh" | tail -n 1)
redis=$("$here/start-redis.sh" | tail -n 1)
redis_tls=$("$here/start-redis.sh" --tls | tail -n 1)
tls=$("$here/make-test-certs.sh" | tail -n 1)
mysql=$("$here/start-mariadb.sh" | tail -n 1)
prometheus=$("$here/install-prometheus.sh" | tail -n 1)
nats=$("$here/start-nats.sh" | tail -n 1)
rabbitmq=$("$here/start-rabbitmq.sh" | tail -n 1)
# The partition tests (PartitionTests) cut one relay process off with loopback firewall rules matching its uid.
command -v iptables >/dev/null || { apt-get update -q >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -q iptables >&2; }
echo "export RELAY_TEST_POSTGRES='$pg'"
echo "export RELAY_TEST_REDIS='$redis'"
echo "export RELAY_TEST_MYSQL='$mysql'"
echo "export RELAY_TEST_REDIS_TLS='$redis_tls'"
echo "export RELAY_TEST_TLS_CA='$tls/ca.crt'"
echo "export RELAY_TEST_PROMETHEUS='$prometheus'"
echo "export RELAY_TEST_NATS='$nats'"
echo "export RELAY_TEST_RABBITMQ='$rabbitmq'"

#!/usr/bin/env bash
# Installs (if missing) and starts a local Redis on 127.0.0.1:6379. Idempotent; needs root on Debian.
# With --tls, starts instead a second Redis that speaks only TLS on 127.0.0.1:6380 (the certificate of
# scripts/make-test-certs.sh). Prints the address on its last line.
set -euo pipefail
if ! command -v redis-server >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
fi
if [ "${1:-}" = "--tls" ]; then
  tls=$("$(dirname "$0")/make-test-certs.sh" | tail -n 1)
  ping() { redis-cli --tls --cacert "$tls/ca.crt" -h 127.0.0.1 -p 6380 ping >/dev/null 2>&1; }
  if ! ping; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 0 --tls-port 6380 --tls-cert-file "$tls/server.crt" \
      --tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.crt" --tls-auth-clients no \
      --save '' --appendonly no --logfile /tmp/relay-redis-tls.log
    for _ in $(seq 1 50); do ping && break; sleep 0.1; done
  fi
  ping || { echo "Redis with TLS did not start; see /tmp/relay-redis-tls.log" >&2; exit 1; }
  echo "127.0.0.1:6380"
  exit 0
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --logfile /tmp/relay-redis.log
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis did not start; see /tmp/relay-redis.log" >&2; exit 1; }
echo "127.0.0.1:6379"

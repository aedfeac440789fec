#!/usr/bin/env bash
# Installs (if missing) and starts a local RabbitMQ on 127.0.0.1:5672 without systemd, with a user relay/relay
# (administrator) on the default vhost. Idempotent; needs root on Debian. RabbitMQ takes 10-20 s to boot.
# Prints the AMQP URI on its last line.
set -euo pipefail
if ! command -v rabbitmq-server >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null
fi
export RABBITMQ_NODENAME=relay@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=5672
export RABBITMQ_DIST_PORT=25672
export RABBITMQ_LOG_BASE=/tmp/relay-rabbitmq-log
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_MNESIA_BASE=/var/lib/relay-test/rabbitmq
mkdir -p "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
chown -R rabbitmq:rabbitmq "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE" 2>/dev/null || true
ctl() { rabbitmqctl -n relay@localhost "$@"; }
if ! ctl status >/dev/null 2>&1; then
  if id rabbitmq >/dev/null 2>&1; then
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq RABBITMQ_NODENAME="$RABBITMQ_NODENAME" RABBITMQ_NODE_IP_ADDRESS="$RABBITMQ_NODE_IP_ADDRESS" \
      RABBITMQ_NODE_PORT="$RABBITMQ_NODE_PORT" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" RABBITMQ_LOG_BASE="$RABBITMQ_LOG_BASE" \
      ERL_EPMD_ADDRESS="$ERL_EPMD_ADDRESS" RABBITMQ_MNESIA_BASE="$RABBITMQ_MNESIA_BASE" \
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="$RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS" \
      setsid rabbitmq-server </dev/null >/tmp/relay-rabbitmq.log 2>&1 &
  else
    setsid rabbitmq-server </dev/null >/tmp/relay-rabbitmq.log 2>&1 &
  fi
  # Waits until the broker, not just the Erlang node, is up.
  ctl wait --timeout 120 "$RABBITMQ_MNESIA_BASE/relay@localhost.pid" >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do ctl await_startup >/dev/null 2>&1 && break; sleep 1; done
fi
ctl await_startup >/dev/null 2>&1 || { echo "RabbitMQ did not start; see /tmp/relay-rabbitmq.log and $RABBITMQ_LOG_BASE" >&2; exit 1; }
if ! ctl list_users 2>/dev/null | grep -q '^relay\b'; then
  ctl add_user relay relay >/dev/null
  ctl set_user_tags relay administrator >/dev/null
  ctl set_permissions -p / relay '.*' '.*' '.*' >/dev/null
fi
echo "amqp://relay:relay@127.0.0.1:5672/"

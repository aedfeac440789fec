#!/usr/bin/env bash
# Installs (if missing) and starts a local NATS server with JetStream on 127.0.0.1:4222, its store under
# /var/lib/relay-test/nats (or /tmp when that cannot be created). Idempotent; needs root on Debian.
# Prints the server URL on its last line.
set -euo pipefail
if ! command -v nats-server >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nats-server >/dev/null
fi
up() { (exec 3<>/dev/tcp/127.0.0.1/4222 && head -c 4 <&3 | grep -q INFO) 2>/dev/null; }
if ! up; then
  store=/var/lib/relay-test/nats
  mkdir -p "$store" 2>/dev/null || { store=/tmp/relay-nats; mkdir -p "$store"; }
  # The Debian package starts nothing by itself here (no systemd); run it detached, JetStream on (-js).
  setsid nats-server -a 127.0.0.1 -p 4222 -js -sd "$store" -l /tmp/relay-nats.log </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 100); do up && break; sleep 0.1; done
fi
up || { echo "NATS did not start; see /tmp/relay-nats.log" >&2; exit 1; }
echo "nats://127.0.0.1:4222"

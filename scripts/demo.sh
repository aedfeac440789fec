#!/usr/bin/env bash
# The main job on a working default: starts PostgreSQL and Redis, creates the outbox table, runs
# Relay with appsettings.json (log tailing → Redis Streams), inserts sample events while it runs,
# and shows the messages as they arrived in the streams. Needs root on Debian and the .NET 10 SDK.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is missing: install it (see README.md, Prerequisites)." >&2; exit 1; }
scripts/start-postgres.sh >/dev/null
scripts/start-redis.sh >/dev/null
export PGPASSWORD=relay
psql -q -h 127.0.0.1 -U relay -d relay -c "CREATE TABLE IF NOT EXISTS public.outbox (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), seq bigint GENERATED ALWAYS AS IDENTITY, aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, payload jsonb, traceparent text)"

echo "Building Relay..."
dotnet build src/Relay -c Release -v quiet -nologo >/dev/null
log=$(mktemp)
dotnet src/Relay/bin/Release/net10.0/Relay.dll >"$log" 2>&1 &
relay=$!
trap 'kill -TERM $relay 2>/dev/null || true' EXIT
before=$(redis-cli -h 127.0.0.1 XLEN outbox.event.order)
# Relay creates its publication and replication slot on first start; wait until it is streaming.
for _ in $(seq 1 60); do grep -q "resuming after" "$log" && break; sleep 0.5; done
echo "Inserting sample events into public.outbox..."
psql -q -h 127.0.0.1 -U relay -d relay -f scripts/demo.sql
for _ in $(seq 1 40); do
  [ "$(redis-cli -h 127.0.0.1 XLEN outbox.event.order)" -ge $((before + 3)) ] && break; sleep 0.25
done
kill -TERM $relay; wait $relay || true; trap - EXIT
echo; echo "--- Relay's log ---"; cat "$log"
for stream in outbox.event.order outbox.event.invoice; do
  echo; echo "--- Redis stream $stream (newest 4) ---"
  redis-cli -h 127.0.0.1 XREVRANGE "$stream" + - COUNT 4
done

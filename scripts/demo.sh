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
psql -q -h 127.0.0.1 -U relay -d relay -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(), aggregatetype text NOT NULL, aggregateid text NOT NULL,
  type text NOT NULL, payload jsonb, traceparent text, seq bigint GENERATED ALWAYS AS IDENTITY);
SQL

# The demo's replication slot stays behind while the demo is not running, and everything else this server
# does meanwhile (a test run writes gigabytes of WAL) piles up behind it: the relay would spend minutes
# decoding that before it reaches this run's rows. The demo's earlier rows were published when it ran, so an
# idle slot far behind is dropped and the relay creates a fresh one (a deployment keeps its relay running
# instead, and watches relay_source_retained_size_bytes).
psql -q -h 127.0.0.1 -U relay -d relay -v ON_ERROR_STOP=1 -Atc \
  "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
   WHERE slot_name = 'relay_demo' AND NOT active AND pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) > 64 * 1024 * 1024" >/dev/null

echo "Building Relay..."
dotnet build src/Relay -c Release -v quiet -nologo >/dev/null
log=$(mktemp)
# /healthz, /readyz and /metrics on this port (8080 is the default; the demo keeps clear of it).
port=${RELAY_DEMO_HTTP_PORT:-18080}
Relay__Http__Port=$port dotnet src/Relay/bin/Release/net10.0/Relay.dll >"$log" 2>&1 &
relay=$!
trap 'kill -TERM $relay 2>/dev/null || true' EXIT
# outbox.event.order is a sharded channel (Shards: 2 in appsettings.json): one stream per shard, by murmur2(aggregate id).
streams="outbox.event.order.0 outbox.event.order.1 outbox.event.invoice"
declare -A last
for stream in $streams; do
  last[$stream]=$(redis-cli -h 127.0.0.1 --raw XREVRANGE "$stream" + - COUNT 1 | head -n 1)
done
# On its first start Relay creates its publication and replication slot; wait until the slot is in
# use and consistent (while it is being created it is already "active", but confirmed_flush_lsn is unset).
for _ in $(seq 1 120); do
  [ "$(psql -h 127.0.0.1 -U relay -d relay -Atc "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'relay_demo' AND active AND confirmed_flush_lsn IS NOT NULL")" = 1 ] && break
  kill -0 $relay 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
echo "Inserting sample events into public.outbox..."
psql -q -h 127.0.0.1 -U relay -d relay -f scripts/demo.sql
sleep 2
readiness=$(curl -s "http://127.0.0.1:$port/readyz" || echo "(no answer)")
published=$(curl -s "http://127.0.0.1:$port/metrics" | grep '^relay_messages_published_total' || true)
kill -TERM $relay; wait $relay || true; trap - EXIT
echo; echo "--- Relay's log ---"; cat "$log"
echo; echo "--- GET /readyz (while it ran) ---"; echo "$readiness"
echo; echo "--- relay_messages_published_total from GET /metrics ---"; echo "${published:-(none yet)}"
echo; echo "--- Messages Relay published (Redis streams; fields key, value and h.<header>) ---"
for stream in $streams; do
  from=${last[$stream]:+"(${last[$stream]}"}
  redis-cli -h 127.0.0.1 --raw XRANGE "$stream" "${from:--}" + |
    awk -v s="$stream" '/^[0-9]+-[0-9]+$/ && !name { if (line) print line; line = s " " $0; next }
                        { if (!name) { name = $0 } else { line = line "  " name "=" $0; name = "" } }
                        END { if (line) print line }'
done

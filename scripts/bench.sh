#!/usr/bin/env bash
# Benchmarks Relay against the physical limits of this machine (see README.md, "Benchmark"): starts PostgreSQL,
# MariaDB, Redis, NATS and RabbitMQ (installing them from Debian packages when missing; the scripts leave a running
# server alone), builds Relay and the bench in Release, and
# runs bench/Relay.Bench. Writes bench/results/results.md (quick.md with --quick) and the plots beside it.
# Usage: scripts/bench.sh [--quick|--full] [--only catchup,latency,fixedrate,footprint,growth]
# Environment: RELAY_BENCH_KAFKA_BOOTSTRAP (a real Kafka instead of the mock cluster), RELAY_BENCH_POSTGRES,
# RELAY_BENCH_MYSQL, RELAY_BENCH_REDIS, RELAY_BENCH_NATS, RELAY_BENCH_RABBITMQ (other servers), RELAY_BENCH_BASELINE (a directory with another build's
# Relay.dll, run beside this one for before/after ratios), RELAY_BENCH_TIMELINE=1 (latency per quarter second of each rate run),
# RELAY_BENCH_FIXED_RATES=100,1000 / RELAY_BENCH_FIXED_SECONDS / RELAY_BENCH_FIXED_REPEAT / RELAY_BENCH_PIPELINES (the fixed-rate runs),
# RELAY_BENCH_SINKS=redis,kafka (the sinks of the catch-up drains).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is missing: install it (see README.md, Prerequisites)." >&2; exit 1; }
scripts/start-postgres.sh >/dev/null
scripts/start-mariadb.sh >/dev/null
scripts/start-redis.sh >/dev/null
# The NATS and RabbitMQ sinks' catch-up rows; a server given by RELAY_BENCH_NATS / RELAY_BENCH_RABBITMQ is not started here.
[ -n "${RELAY_BENCH_NATS:-}" ] || scripts/start-nats.sh >/dev/null
[ -n "${RELAY_BENCH_RABBITMQ:-}" ] || scripts/start-rabbitmq.sh >/dev/null
# pg_recvlogical and mysqlbinlog are two of the limits.
command -v pg_recvlogical >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client >/dev/null; }
command -v mysqlbinlog >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-client >/dev/null; }
# pgbench writes the fixed-rate runs' PostgreSQL rows (it comes with the server package).
command -v pgbench >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
# The plots need fonts.
fc-list 2>/dev/null | grep -q . || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-dejavu-core fontconfig >/dev/null; }
dotnet build bench/Relay.Bench -c Release -nologo -v quiet
# The relay under test is published as the container image is (dotnet publish -r linux-x64 --self-contained: the app
# and the framework precompiled as one ReadyToRun composite), so a started relay does not spend its first seconds in
# the JIT. The publish compiles the framework too: about 3 minutes on 2 cores whenever Relay changed, seconds otherwise.
dotnet publish src/Relay -c Release -r linux-x64 --self-contained -o artifacts/bench-relay -nologo -v quiet
export RELAY_BENCH_RELAY="$root/artifacts/bench-relay"
exec dotnet bench/Relay.Bench/bin/Release/net10.0/Relay.Bench.dll "$@"

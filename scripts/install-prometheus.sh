#!/usr/bin/env bash
# Installs Debian's prometheus package (if missing) for the test that scrapes Relay's /metrics with a
# real Prometheus. The tests start their own Prometheus on a free port; this starts nothing.
# Idempotent; needs root on Debian. Prints the binary's path on its last line.
set -euo pipefail
if ! command -v prometheus >/dev/null; then
  apt-get update -q >/dev/null
  # Where an init system is present the package may try to start its own service; the tests do not use it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q prometheus >/dev/null
fi
command -v prometheus >/dev/null || { echo "Installing prometheus failed; run: apt-get install prometheus" >&2; exit 1; }
command -v prometheus

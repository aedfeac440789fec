#!/usr/bin/env bash
# Creates (once) a throwaway CA and a server certificate for localhost and 127.0.0.1, which the test
# servers present for TLS. Prints the directory on its last line: ca.crt, server.crt, server.key.
set -euo pipefail
dir=${RELAY_TEST_TLS_DIR:-/var/lib/relay-test/tls}
if ! command -v openssl >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl >/dev/null
fi
if [ ! -s "$dir/server.crt" ]; then
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Relay test CA" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile server.ext \
      -out server.crt 2>/dev/null
    rm -f server.csr server.ext ca.srl
  )
fi
chmod 755 "$dir"; chmod 644 "$dir/ca.crt" "$dir/server.crt"; chmod 600 "$dir/ca.key" "$dir/server.key"
echo "$dir"

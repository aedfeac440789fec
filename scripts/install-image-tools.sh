#!/usr/bin/env bash
# Installs what the image tests need, from Debian's packages, when missing: umoci (builds the OCI
# image), runc (runs it), the files the image takes from this machine (CA certificates, time zones,
# OpenSSL 3, zlib, GSSAPI), and docker-compose 1.29 without its recommended Docker engine (it only
# validates deploy/compose/docker-compose.yml here). Idempotent.
set -euo pipefail
triplet=x86_64-linux-gnu
missing=()
command -v umoci >/dev/null || missing+=(umoci)
command -v runc >/dev/null || missing+=(runc)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
[ -d /usr/share/zoneinfo/Etc ] || missing+=(tzdata)
[ -e /usr/lib/$triplet/libssl.so.3 ] || missing+=(libssl3)
[ -e /usr/lib/$triplet/libz.so.1 ] || missing+=(zlib1g)
[ -e /usr/lib/$triplet/libgssapi_krb5.so.2 ] || missing+=(libgssapi-krb5-2)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-image-tools: installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

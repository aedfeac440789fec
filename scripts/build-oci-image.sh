#!/usr/bin/env bash
# Builds Relay's container image without Docker, from the Dockerfile: its build stage is replayed
# here (scripts/dockerfile-replay.py: the same COPY and RUN dotnet restore/publish, on this
# machine's .NET SDK), and its runtime stage's files (COPY --from=build), user, working directory,
# port, environment and entrypoint go onto a minimal root filesystem made of this machine's Debian
# libraries in place of the runtime-deps base image (glibc, libstdc++, libgcc, OpenSSL 3, zlib, CA
# certificates, time zones, and the packages the runtime stage installs), written as an OCI image
# layout with umoci.
#
# Usage: scripts/build-oci-image.sh [OUT_DIR]          (default: artifacts/image)
# Output: OUT_DIR/layout        the OCI image layout, tag relay:<version>
#         OUT_DIR/relay.oci.tar the same as an oci-archive (skopeo copy oci-archive:..., podman load -i)
# The last line printed is "OUT_DIR/layout:<version>", the image reference for umoci.
# Installs umoci and runc from Debian's packages when missing (runc runs the image in the tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts/image}" && cd "${1:-$root/artifacts/image}" && pwd)
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/deploy/helm/relay/Chart.yaml")
triplet=x86_64-linux-gnu

log() { echo "build-oci-image: $*" >&2; }

# Tools and the files the image takes from this machine.
"$root/scripts/install-image-tools.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The Dockerfile's build stage, replayed; its runtime stage, described.
log "replaying the Dockerfile's build stage"
python3 "$root/scripts/dockerfile-replay.py" "$root/Dockerfile" "$root" "$work/stage" > "$work/final.json"
final() { python3 -c "import json,sys; c=json.load(open('$work/final.json')); $1"; }
user=$(final 'print(c["user"])')
uid=${user%%:*}

# 2. The root filesystem.
log "assembling the root filesystem"
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{etc/ssl/certs,home/app,tmp,usr/lib/$triplet,usr/lib64,usr/lib/ssl,usr/share}
ln -s usr/lib "$rootfs/lib"
ln -s usr/lib64 "$rootfs/lib64"
chmod 1777 "$rootfs/tmp"
# COPY --from=build SRC DEST, owned by root and read-only for the user, as Docker copies them.
while IFS=$'\t' read -r source dest; do
  mkdir -p "$rootfs$dest"
  cp -a "$source/." "$rootfs$dest/"
  chown -R 0:0 "$rootfs$dest"
  chmod -R u=rwX,go=rX "$rootfs$dest"
done < <(final 'print("\n".join(x["source"] + "\t" + x["dest"] for x in c["copies"]))')
app=$(final 'print(c["entrypoint"][0])')
[ -x "$rootfs$app" ] || { echo "build-oci-image: the entrypoint $app is not in the image" >&2; exit 1; }

# The libraries the apphost, the runtime and the native libraries of the publish link to (liblttng,
# for tracing, is optional), those the runtime opens by name (OpenSSL for TLS, zlib), and those of
# the packages the runtime stage installs (GSSAPI: Npgsql tries GSS encryption first and, without
# the library, the runtime prints an error on every connection), each with what it links to.
packages=$(final 'print(" ".join(c["packages"]))')
opened="/usr/lib/$triplet/libssl.so.3 /usr/lib/$triplet/libcrypto.so.3 /usr/lib/$triplet/libz.so.1"
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || { apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2; }
  opened="$opened $(dpkg -L "$package" | grep -E "^/usr/lib/$triplet/[^/]+\.so\.[0-9]+$" | tr '\n' ' ')"
done
libs=$( {
  for f in "$rootfs$app" $(find "$rootfs$(dirname "$app")" -maxdepth 1 -name '*.so'); do ldd "$f" 2>/dev/null || true; done
  for l in $opened; do
    echo "$(basename "$l") => $l"
    ldd "$l"
  done
} | awk '$2 == "=>" && $3 ~ /^\/(usr\/)?lib/ { print $3 } $1 ~ /^\/lib64\/ld-linux/ { print $1 }' | sort -u)
for lib in $libs; do
  cp -L "$lib" "$rootfs/usr/lib/$triplet/$(basename "$lib")"
done
ln -s ../lib/$triplet/ld-linux-x86-64.so.2 "$rootfs/usr/lib64/ld-linux-x86-64.so.2"
echo "/usr/lib/$triplet" > "$rootfs/etc/ld.so.conf"
ldconfig -r "$rootfs"

# CA certificates where OpenSSL (and so .NET) looks for them, and the time zone database.
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
ln -s /etc/ssl/certs "$rootfs/usr/lib/ssl/certs"
ln -s /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/lib/ssl/cert.pem"
tar -C /usr/share --exclude=zoneinfo/right --exclude=zoneinfo/posix -cf - zoneinfo | tar -C "$rootfs/usr/share" -xf -

# Users, name resolution.
cat > "$rootfs/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
app:x:$uid:$uid:app:/home/app:/sbin/nologin
EOF
cat > "$rootfs/etc/group" <<EOF
root:x:0:
app:x:$uid:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$rootfs/etc/hosts"
chown $uid:$uid "$rootfs/home/app"

# 3. The OCI image.
log "writing the OCI image $out/layout:$version"
rm -rf "$out/layout" "$out/relay.oci.tar"
umoci init --layout "$out/layout"
umoci new --image "$out/layout:$version"
umoci insert --image "$out/layout:$version" "$rootfs" /
config=(--os linux --architecture amd64 --config.user "$user" --config.workingdir "$(final 'print(c["workdir"])')"
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for e in $(final 'print(" ".join(c["env"]))'); do config+=(--config.env "$e"); done
for p in $(final 'print(" ".join(c["expose"]))'); do config+=(--config.exposedports "${p%/*}/tcp"); done
for a in $(final 'print(" ".join(c["entrypoint"]))'); do config+=(--config.entrypoint "$a"); done
for a in $(final 'print(" ".join(c["cmd"] or []))'); do config+=(--config.cmd "$a"); done
umoci config --image "$out/layout:$version" "${config[@]}" \
  --config.label org.opencontainers.image.title=relay \
  --config.label org.opencontainers.image.version="$version" \
  --config.label org.opencontainers.image.description="Transactional-outbox relay: PostgreSQL to Kafka or Redis Streams, exactly once"
umoci gc --layout "$out/layout"
tar -C "$out/layout" -cf "$out/relay.oci.tar" .
log "image size: $(du -sh "$out/layout" | cut -f1) (layout), $(du -sh "$rootfs" | cut -f1) unpacked"
echo "$out/layout:$version"

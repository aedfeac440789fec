#!/usr/bin/env bash
# Builds Relay's container image without Docker: the layout of the Dockerfile (a self-contained
# publish in /app, ENTRYPOINT /app/Relay, user 1654, workdir /app, port 8080) on a minimal root
# filesystem made of this machine's Debian libraries (glibc, libstdc++, libgcc, OpenSSL 3, zlib, CA
# certificates, time zones), written as an OCI image layout with umoci.
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
uid=1654
triplet=x86_64-linux-gnu

log() { echo "build-oci-image: $*" >&2; }

# Tools and the files the image takes from this machine.
"$root/scripts/install-image-tools.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Publish from a copy of the sources, as the Dockerfile's build stage does (and so that this
#    linux-x64 restore never touches the obj/ folders of the working tree).
log "publishing Relay (self-contained, linux-x64)"
mkdir -p "$work/src"
cp "$root/Directory.Build.props" "$root/appsettings.json" "$work/src/"
tar -C "$root" --exclude=bin --exclude=obj -cf - src | tar -C "$work/src" -xf -
dotnet publish "$work/src/src/Relay/Relay.csproj" -c Release -r linux-x64 --self-contained \
  -o "$work/app" -nologo -v quiet >&2
rm -f "$work/app"/*.pdb "$work/app/alpine-librdkafka.so"
cp "$root/deploy/image/appsettings.json" "$work/app/appsettings.json"

# 2. The root filesystem.
log "assembling the root filesystem"
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{app,etc/ssl/certs,home/app,tmp,usr/lib/$triplet,usr/lib64,usr/lib/ssl,usr/share}
ln -s usr/lib "$rootfs/lib"
ln -s usr/lib64 "$rootfs/lib64"
chmod 1777 "$rootfs/tmp"
cp -a "$work/app/." "$rootfs/app/"
chown -R 0:0 "$rootfs/app"
chmod -R u=rwX,go=rX "$rootfs/app"

# The libraries the apphost, the runtime and the native libraries of the publish link to, and those
# the runtime opens by name (OpenSSL for TLS, zlib, GSSAPI for Kerberos: Npgsql tries GSS encryption
# first and, without the library, the runtime prints an error on every connection). liblttng (tracing) and musl (Alpine's librdkafka)
# are optional or unused.
libs=$( {
  for f in "$work/app/Relay" "$work/app"/*.so; do ldd "$f" 2>/dev/null || true; done
  for l in libssl.so.3 libcrypto.so.3 libz.so.1 libgssapi_krb5.so.2; do
    echo "$l => /usr/lib/$triplet/$l"
    ldd "/usr/lib/$triplet/$l"
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
umoci config --image "$out/layout:$version" \
  --os linux --architecture amd64 \
  --config.user "$uid:$uid" \
  --config.workingdir /app \
  --config.entrypoint /app/Relay \
  --config.exposedports 8080/tcp \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env DOTNET_gcServer=0 \
  --config.env DOTNET_NOLOGO=1 \
  --config.label org.opencontainers.image.title=relay \
  --config.label org.opencontainers.image.version="$version" \
  --config.label org.opencontainers.image.description="Transactional-outbox relay: PostgreSQL to Kafka or Redis Streams, exactly once"
umoci gc --layout "$out/layout"
tar -C "$out/layout" -cf "$out/relay.oci.tar" .
log "image size: $(du -sh "$out/layout" | cut -f1) (layout), $(du -sh "$rootfs" | cut -f1) unpacked"
echo "$out/layout:$version"

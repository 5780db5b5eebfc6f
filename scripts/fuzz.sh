#!/usr/bin/env bash
# Runs every fuzz target of the repository for a while each.
#
#   scripts/fuzz.sh                 # 30s per target
#   FUZZTIME=5m scripts/fuzz.sh     # longer
#   scripts/fuzz.sh FuzzVerify      # only targets whose name matches
#
# Targets are found with grep 'func Fuzz' in _test.go files; each runs in
# its own package directory (so nested modules work too). The checked-in
# seed corpora (testdata/fuzz/<Name>/) run as ordinary tests in CI with
# `go test ./...`; new failing inputs found here are written there too:
# check them in with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-30s}"
filter="${1:-.}"
failed=()
ran=0

while IFS= read -r file; do
  dir=$(dirname "$file")
  while IFS= read -r name; do
    [[ "$name" =~ $filter ]] || continue
    printf '\n=== %s (%s) for %s\n' "$name" "$dir" "$fuzztime"
    ran=$((ran + 1))
    if ! (cd "$dir" && go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" .); then
      failed+=("$dir:$name")
    fi
  done < <(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/')
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort)

echo
if [ "$ran" -eq 0 ]; then
  echo "no fuzz target matches '$filter'"; exit 1
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz targets that failed: ${failed[*]}"; exit 1
fi
echo "all $ran fuzz targets ran for $fuzztime each without a failure"

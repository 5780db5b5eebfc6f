#!/usr/bin/env bash
# Proves that the core tests, without PostgreSQL, see a missing lock: in a
# copy of the repository it takes the service's locks away and requires
# `go test ./team/...` to FAIL, naming the tests that caught it.
#
#   bash scripts/lock-proof.sh            # teams, accounts, then both
#   bash scripts/lock-proof.sh teams      # one variant: teams|accounts|both
#
# A variant replaces, in team/*.go (not _test.go), every `.LockTeam(` with
# `.Team(` (teams), every `.LockAccount(` with `.Account(` (accounts), or
# both: the same reads without the lock, which still compile (Tx has
# both). store.Memory then refuses the writes that needed the lock
# (store.ErrNotLocked). The untouched copy must pass first, so a failure
# is the edit's doing.
#
# Exit status: 0 when every variant made the tests fail; 1 when a variant
# passed (a lock nobody would miss); 2 when the proof could not run (no
# lock left to remove, a copy that does not compile, a baseline failure).
set -euo pipefail
cd "$(dirname "$0")/.."

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(teams accounts both)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset TEAMKIT_POSTGRES_DSN # the proof is about the tests that run without a database

# The working tree as it is, without .git.
pristine="$tmp/pristine"
mkdir "$pristine"
tar --exclude=./.git -cf - . | tar -xf - -C "$pristine"

run_tests() { # dir: go test ./team/... in dir, output in dir/test.out
  (cd "$1" && go test -count=1 ./team/... >test.out 2>&1)
}

echo "=== baseline: go test ./team/... on the untouched copy"
if ! run_tests "$pristine"; then
  tail -n 40 "$pristine/test.out"
  echo "lock-proof: the untouched tests fail already; fix them first"; exit 2
fi

failed=0
for v in "${variants[@]}"; do
  case "$v" in
  teams) exprs=(-e 's/\.LockTeam(/.Team(/g') ;;
  accounts) exprs=(-e 's/\.LockAccount(/.Account(/g') ;;
  both) exprs=(-e 's/\.LockTeam(/.Team(/g' -e 's/\.LockAccount(/.Account(/g') ;;
  *) echo "lock-proof: unknown variant '$v' (teams, accounts or both)"; exit 2 ;;
  esac
  dir="$tmp/$v"
  cp -r "$pristine" "$dir"
  mapfile -t files < <(cd "$dir" && find team -maxdepth 1 -name '*.go' ! -name '*_test.go' | sort)
  (cd "$dir" && sed -i "${exprs[@]}" "${files[@]}")
  changed=$(cd "$dir" && diff -r "$pristine/team" team | grep -c '^>' || true)
  echo
  echo "=== $v: $changed lock call(s) replaced in team/*.go"
  if [ "$changed" -eq 0 ]; then
    echo "lock-proof: no lock call found to remove; update the pattern"; exit 2
  fi
  if ! (cd "$dir" && go vet ./team/ >vet.out 2>&1); then
    cat "$dir/vet.out"
    echo "lock-proof: the copy without locks does not compile; update the replacement"; exit 2
  fi
  if run_tests "$dir"; then
    echo "NOT CAUGHT: go test ./team/... passes without the locks ($v)"
    failed=1
    continue
  fi
  if grep -q -e '\[build failed\]' -e '\[setup failed\]' "$dir/test.out"; then
    tail -n 40 "$dir/test.out"
    echo "lock-proof: the tests did not build without the locks ($v)"; exit 2
  fi
  top=$(grep -E '^--- FAIL: ' "$dir/test.out" | sed -E 's/^--- FAIL: ([^ ]+).*/\1/' | sort -u)
  subs=$(grep -cE '^ +--- FAIL: ' "$dir/test.out" || true)
  if [ -z "$top" ]; then
    tail -n 40 "$dir/test.out"
    echo "lock-proof: go test failed without naming a failing test ($v)"; exit 2
  fi
  echo "caught by $(wc -l <<<"$top") test(s) (and $subs failing subtests):"
  sed 's/^/  /' <<<"$top"
  echo "first refusal:"
  grep -m1 -oE 'store: write without the lock.*first, in the same unit of work' "$dir/test.out" | sed 's/^/  /' || true
done

echo
if [ "$failed" -ne 0 ]; then
  echo "lock-proof: FAILED: a variant's locks are not seen by the tests"; exit 1
fi
echo "lock-proof: every variant (${variants[*]}) makes go test ./team/... fail without PostgreSQL"

#!/usr/bin/env bash
# Runs the PostgreSQL store's tests (nested module store/postgres) against a
# local PostgreSQL server, starting or installing one when none answers on
# 127.0.0.1:5432. Fails if any test skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST_ADDR=127.0.0.1
PGPORT_NUM=5432
log=/tmp/pg-test.log

ready() { pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM" >/dev/null 2>&1; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ready; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres.sh: installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "postgres.sh: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
  done
  ready || { echo "postgres.sh: PostgreSQL did not become ready on $PGHOST_ADDR:$PGPORT_NUM"; exit 1; }
fi

# The tests connect as postgres without a password: use trust auth for
# local TCP connections when the cluster asks for one (fresh installs).
if ! psql -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres -d postgres -w -Atc 'select 1' >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    echo "postgres.sh: enabling trust auth for 127.0.0.1 in $hba"
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    sleep 1
  fi
fi
psql -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres -d postgres -w -Atc 'select 1' >/dev/null

# Database "test" (an existing one is fine).
createdb -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres -w test 2>/dev/null || true
psql -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres -d test -w -Atc 'select 1' >/dev/null

export TEAMKIT_POSTGRES_DSN="${TEAMKIT_POSTGRES_DSN:-postgres://postgres@$PGHOST_ADDR:$PGPORT_NUM/test?sslmode=disable}"

(cd store/postgres && go vet ./... && go test -race -count=1 ./... -v 2>&1 | tee "$log")

if grep -q -- '--- SKIP' "$log"; then
  echo "postgres.sh: some tests skipped:"; grep -- '--- SKIP' "$log"; exit 1
fi
if ! grep -q -- '--- PASS' "$log"; then
  echo "postgres.sh: no test ran"; exit 1
fi
echo "postgres.sh: PostgreSQL store tests passed"

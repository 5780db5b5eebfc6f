#!/usr/bin/env bash
# Runs the MySQL/MariaDB store's tests (nested module store/mysql) against
# a local MariaDB on 127.0.0.1:3306 (user root, empty password, database
# "test"), starting it when it does not answer and installing it from
# Debian's packages when it is missing. Fails if any test skipped or none
# ran. TEAMKIT_MYSQL_DSN, when set, names another server instead (then
# nothing is started or installed).
set -euo pipefail
cd "$(dirname "$0")"

log=/tmp/mysql-test.log
client() { mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u root "$@"; }
ready() { client -e 'SELECT 1' >/dev/null 2>&1; }

if [ -z "${TEAMKIT_MYSQL_DSN:-}" ]; then
  if ! ready; then
    if [ ! -x /usr/sbin/mariadbd ]; then
      echo "ci.sh: installing MariaDB"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq mariadb-server >/dev/null
    fi
    if ! mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 ping >/dev/null 2>&1 &&
       ! mariadb-admin ping >/dev/null 2>&1; then
      echo "ci.sh: starting MariaDB"
      install -d -o mysql -g mysql /run/mysqld
      start-stop-daemon --start --oknodo --background --chuid mysql --exec /usr/sbin/mariadbd
    fi
    for _ in $(seq 1 120); do
      mariadb-admin ping >/dev/null 2>&1 && break
      sleep 0.5
    done
    mariadb-admin ping >/dev/null 2>&1 || { echo "ci.sh: MariaDB did not start"; exit 1; }
    # A fresh Debian install lets root in through the Unix socket only:
    # allow root over TCP with an empty password too (a CI machine's
    # throw-away server).
    if ! ready; then
      echo "ci.sh: allowing root@localhost over TCP without a password"
      mariadb -u root -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
    fi
    ready || { echo "ci.sh: cannot log in as root on 127.0.0.1:3306"; exit 1; }
  fi
  client -e 'CREATE DATABASE IF NOT EXISTS test'
  export TEAMKIT_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test?parseTime=true&interpolateParams=true'
fi

go vet ./...
if ! go test -race -count=1 -v ./... 2>&1 | tee "$log"; then
  echo "ci.sh: tests failed"; exit 1
fi
if grep -q -- '--- SKIP' "$log"; then
  echo "ci.sh: some tests skipped:"; grep -- '--- SKIP' "$log"; exit 1
fi
if ! grep -q -- '--- PASS' "$log"; then
  echo "ci.sh: no test ran"; exit 1
fi
echo "ci.sh: MySQL/MariaDB store tests passed"

#!/bin/sh
# Runs the Team Settings page's browser tests (UI-1) in headless chromium.
# Installs Debian's chromium when no browser is on PATH. Never sets
# TEAMKIT_UI_SKIP, so a missing browser fails the run.
set -eu
cd "$(dirname "$0")"
if [ -z "${TEAMKIT_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	echo "ci.sh: installing chromium" >&2
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
fi
gofmt_out=$(gofmt -l .)
if [ -n "$gofmt_out" ]; then
	echo "gofmt needed: $gofmt_out" >&2
	exit 1
fi
go vet ./...
go test -race -count=1 ./...

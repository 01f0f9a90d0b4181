#!/usr/bin/env bash
# Latchkey: run the whole test suite. This is THE test command (README, CI).
#
#   ./test.sh [extra `dotnet test` arguments...]
#       e.g. ./test.sh --filter "FullyQualifiedName~Token"
#
# What it does, on a fresh Debian 12 machine with the .NET 10 SDK, node and npm:
#   1. installs PostgreSQL from Debian if no initdb is found, and Chromium, jq and
#      curl if they are missing (apt-get update runs only when something has
#      to be installed);
#   2. runs `npm ci` in tests/js (Node tools used by the tests, e.g. jose);
#   3. starts a throwaway PostgreSQL cluster on 127.0.0.1 (free port from 55432
#      up, data under a mktemp dir), exported to the tests as
#      LATCHKEY_TEST_POSTGRES="Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres"
#      (tests create their own databases from it);
#   4. builds, then runs `dotnet test --solution Latchkey.slnx -c Release ...`, logs it, prints a
#      line per finished test class (scripts/test-progress.sh), the ten slowest classes, and one
#      closing line `N passed, N failed[, N skipped]`;
#   5. always stops the cluster and removes the temp dir (trap EXIT), and exits
#      with dotnet test's exit code.
#
# Environment switches:
#   LATCHKEY_TEST_POSTGRES=...  use this Npgsql connection string as-is: nothing
#                               is installed or started for PostgreSQL.
#   LATCHKEY_SKIP_DOTNET=1      harness self-check: do everything except
#                               `dotnet test`; instead run
#                               psql -c 'select version()' against the cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SKIP_DOTNET="${LATCHKEY_SKIP_DOTNET:-0}"
SOLUTION="Latchkey.slnx"

# --------------------------------------------------------------------------
# Temp dir and cleanup (set up first so every later failure is cleaned up).
# --------------------------------------------------------------------------
TMP_ROOT="$(mktemp -d /tmp/latchkey-test.XXXXXX)"
. scripts/throwaway-postgres.sh

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    pg_stop
    rm -rf "$TMP_ROOT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --------------------------------------------------------------------------
# 1. Debian packages (only when missing).
# --------------------------------------------------------------------------
if [ -z "${LATCHKEY_TEST_POSTGRES:-}" ]; then
    pg_install_if_missing
fi

# Passkeys are tested end to end in Debian's Chromium (its virtual WebAuthn authenticator,
# driven by npm playwright-core): no browser is downloaded, the distribution's is used.
# The README's walk-through (ReadmeWalkthroughTests, scripts/try.sh) runs curl and jq.
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
if [ "$SKIP_DOTNET" != 1 ] && [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "apt-get install$missing"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086 # one word per package
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ "$SKIP_DOTNET" != 1 ]; then
    command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
    [ -f "$SOLUTION" ] || die "$SOLUTION not found in $ROOT"
fi

# --------------------------------------------------------------------------
# 2. Node tools used by the tests.
# --------------------------------------------------------------------------
if [ -f tests/js/package.json ]; then
    command -v npm >/dev/null 2>&1 || die "npm is not on PATH (node 20 + npm are required)"
    log "npm ci in tests/js"
    (cd tests/js && npm ci --no-audit --no-fund)
fi

# --------------------------------------------------------------------------
# 3./4. Throwaway PostgreSQL cluster (scripts/throwaway-postgres.sh).
# --------------------------------------------------------------------------
if [ -n "${LATCHKEY_TEST_POSTGRES:-}" ]; then
    log "using LATCHKEY_TEST_POSTGRES from the environment; starting no PostgreSQL"
else
    pg_start
    export LATCHKEY_TEST_POSTGRES="$PG_CONNECTION"
fi
log "LATCHKEY_TEST_POSTGRES=$LATCHKEY_TEST_POSTGRES"

# --------------------------------------------------------------------------
# Harness self-check instead of the tests.
# --------------------------------------------------------------------------
if [ "$SKIP_DOTNET" = 1 ]; then
    log "LATCHKEY_SKIP_DOTNET=1: skipping dotnet test"
    if [ -n "$PG_PORT" ]; then
        psql "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres" -v ON_ERROR_STOP=1 -c 'select version()'
    else
        log "external PostgreSQL: nothing to check"
    fi
    exit 0
fi

# --------------------------------------------------------------------------
# 5. dotnet test.
# --------------------------------------------------------------------------
# English summary lines (they are parsed below), no MSBuild worker nodes left
# behind holding the output pipe, no first-run banner or telemetry.
export DOTNET_CLI_UI_LANGUAGE="${DOTNET_CLI_UI_LANGUAGE:-en}"
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE="${DOTNET_SKIP_FIRST_TIME_EXPERIENCE:-1}"

TEST_LOG="${TMPDIR:-/tmp}/latchkey-test-last.log"
COUNTS="$TMP_ROOT/tests.list"
. scripts/test-progress.sh
set +e
# global.json opts into Microsoft.Testing.Platform (xunit.v3): `dotnet test --solution`.
# The build and the list of tests come first, so progress can tell when a class is done.
log "dotnet build -c Release"
dotnet build "$SOLUTION" -c Release -v quiet -nologo 2>&1 | tail -n 20
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
    dotnet test --solution "$SOLUTION" -c Release --no-build --list-tests "$@" >"$COUNTS" 2>&1
    log "running $(grep -c '^  Latchkey\.' "$COUNTS") tests; a line per finished test class (full log: $TEST_LOG)"
    dotnet test --solution "$SOLUTION" -c Release --no-build --output detailed "$@" 2>&1 | tee "$TEST_LOG" | test_progress "$COUNTS"
    rc=${PIPESTATUS[0]}
fi
set -e

# --------------------------------------------------------------------------
# Closing line from the "Test run summary" block that dotnet test prints:
#   total: 120 / failed: 0 / succeeded: 120 / skipped: 0
# --------------------------------------------------------------------------
summary="$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r//g' "$TEST_LOG" | awk '
    /Test run summary:/ { inblk = 1; found = 1; next }
    inblk && /^[ \t]*failed:[ \t]*[0-9]+/    { f = $2 + 0; next }
    inblk && /^[ \t]*succeeded:[ \t]*[0-9]+/ { p = $2 + 0; next }
    inblk && /^[ \t]*skipped:[ \t]*[0-9]+/   { s = $2 + 0; next }
    END {
        line = (p + 0) " passed, " (f + 0) " failed"
        if (s > 0) line = line ", " s " skipped"
        print (found + 0) " " line
    }')"
found="${summary%% *}"
summary="${summary#* }"
if [ "$found" != 1 ]; then
    log "no test run summary found in the dotnet test output (exit code $rc)"
fi
echo
echo "$summary"

exit "$rc"

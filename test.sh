#!/usr/bin/env bash
# Latchkey: run the whole test suite. This is THE test command (README, CI).
#
#   ./test.sh [extra `dotnet test` arguments...]
#       e.g. ./test.sh --filter "FullyQualifiedName~Token"
#
# What it does, on a fresh Debian 12 machine with the .NET 10 SDK, node and npm:
#   1. installs PostgreSQL from Debian if no initdb is found (apt-get update runs
#      only when something has to be installed);
#   2. runs `npm ci` in tests/js (Node tools used by the tests, e.g. jose);
#   3. starts a throwaway PostgreSQL cluster on 127.0.0.1 (free port from 55432
#      up, data under a mktemp dir), exported to the tests as
#      LATCHKEY_TEST_POSTGRES="Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres"
#      (tests create their own databases from it);
#   4. runs `dotnet test --solution Latchkey.slnx -c Release ...`, logs it, and prints one
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

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# --------------------------------------------------------------------------
# Temp dir and cleanup (set up first so every later failure is cleaned up).
# --------------------------------------------------------------------------
# Under /tmp on purpose: the postgres user must be able to reach it, and the
# Unix socket path inside it must stay short.
TMP_ROOT="$(mktemp -d /tmp/latchkey-test.XXXXXX)"
PG_BIN=""
PG_DATA=""
PG_STARTED=0

as_pg() {
    # Run a PostgreSQL server binary as the `postgres` user when we are root
    # (the server refuses to run as root); from inside the temp dir so that
    # the postgres user never needs access to our cwd.
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$TMP_ROOT" && runuser -u postgres -- "$@")
    else
        (cd "$TMP_ROOT" && "$@")
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$PG_STARTED" = 1 ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        log "stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -t 30 -w stop >/dev/null 2>&1 ||
            as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP_ROOT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --------------------------------------------------------------------------
# 1. Debian packages (only when missing).
# --------------------------------------------------------------------------
find_pg_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
    fi
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

MISSING_PKGS=()
if [ -z "${LATCHKEY_TEST_POSTGRES:-}" ]; then
    if [ -z "$(find_pg_bin)" ] || ! dpkg -s postgresql >/dev/null 2>&1; then
        MISSING_PKGS+=(postgresql)
    fi
fi
if [ "${#MISSING_PKGS[@]}" -gt 0 ]; then
    apt_install "${MISSING_PKGS[@]}"
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
# 3./4. Throwaway PostgreSQL cluster.
# --------------------------------------------------------------------------
port_in_use() {
    # Something accepts connections on 127.0.0.1:$1.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

PG_PORT=""
if [ -n "${LATCHKEY_TEST_POSTGRES:-}" ]; then
    log "using LATCHKEY_TEST_POSTGRES from the environment; starting no PostgreSQL"
else
    PG_BIN="$(find_pg_bin)"
    [ -n "$PG_BIN" ] || die "no PostgreSQL initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    PG_DATA="$TMP_ROOT/data"
    PG_SOCK="$TMP_ROOT/sock"
    mkdir -p "$PG_SOCK"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$TMP_ROOT"
    fi

    log "initdb ($PG_BIN)"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$TMP_ROOT/initdb.log" 2>&1 ||
        { cat "$TMP_ROOT/initdb.log" >&2; die "initdb failed"; }

    port=55432
    for attempt in 1 2 3 4 5; do
        while port_in_use "$port"; do
            port=$((port + 1))
            [ "$port" -lt 56432 ] || die "no free port found in 55432-56431"
        done
        log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt)"
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP_ROOT/postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_SOCK -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            PG_STARTED=1
            PG_PORT="$port"
            break
        fi
        log "PostgreSQL did not start on port $port; server log:"
        tail -n 20 "$TMP_ROOT/postgres.log" >&2 || true
        port=$((port + 1))
    done
    [ -n "$PG_PORT" ] || die "could not start PostgreSQL"

    export LATCHKEY_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
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

TEST_LOG="$TMP_ROOT/dotnet-test.log"
set +e
# global.json opts into Microsoft.Testing.Platform (xunit.v3): `dotnet test --solution`.
dotnet test --solution "$SOLUTION" -c Release "$@" 2>&1 | tee "$TEST_LOG"
rc=${PIPESTATUS[0]}
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

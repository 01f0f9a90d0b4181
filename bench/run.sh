#!/usr/bin/env bash
# Latchkey benchmark: THE command to run it.
#
#   bench/run.sh [Latchkey.Bench arguments...]
#       e.g. bench/run.sh --seconds 8 --warmup 1.5 --databases sqlite,postgres
#
# What it does (same PostgreSQL approach as test.sh):
#   1. installs PostgreSQL from Debian if no initdb is found and no server is given;
#   2. builds the server and the benchmark in Release;
#   3. unless LATCHKEY_BENCH_POSTGRES is set, starts a throwaway PostgreSQL cluster on
#      127.0.0.1 (free port from 55432 up, data under a mktemp dir; fsync and synchronous
#      commit off, as for the tests) and exports
#      LATCHKEY_BENCH_POSTGRES="Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres";
#   4. runs bench/Latchkey.Bench, which starts one server process per database, prints a
#      Markdown table on stdout (progress on stderr) and exits 0 when it ran;
#   5. always stops the cluster and removes the temp dir (trap EXIT).
#
# Environment switches:
#   LATCHKEY_BENCH_POSTGRES=...  use this Npgsql connection string as-is (the benchmark creates
#                                and drops its own databases there); nothing is started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[run.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Under /tmp on purpose: the postgres user must reach it and the socket path must stay short.
TMP_ROOT="$(mktemp -d /tmp/latchkey-bench.XXXXXX)"
PG_BIN=""
PG_DATA=""
PG_STARTED=0

as_pg() {
    # PostgreSQL refuses to run as root: run its binaries as `postgres`, from the temp dir.
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
# Bash runs these only after the benchmark (which handles the signal itself) has exited.
trap 'exit 130' INT
trap 'exit 143' TERM

find_pg_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
    fi
}

# --------------------------------------------------------------------------
# 1. PostgreSQL from Debian, only when missing.
# --------------------------------------------------------------------------
if [ -z "${LATCHKEY_BENCH_POSTGRES:-}" ] && { [ -z "$(find_pg_bin)" ] || ! dpkg -s postgresql >/dev/null 2>&1; }; then
    log "apt-get install postgresql"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
fi

# --------------------------------------------------------------------------
# 2. Release builds of the server (run as a process by the benchmark) and the benchmark.
# --------------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE="${DOTNET_SKIP_FIRST_TIME_EXPERIENCE:-1}"
for project in src/Latchkey.Server/Latchkey.Server.csproj bench/Latchkey.Bench/Latchkey.Bench.csproj; do
    log "dotnet build $project -c Release"
    dotnet build "$project" -c Release -v quiet -nologo >"$TMP_ROOT/build.log" 2>&1 ||
        { cat "$TMP_ROOT/build.log" >&2; die "build of $project failed"; }
done

# --------------------------------------------------------------------------
# 3. Throwaway PostgreSQL cluster (as in test.sh).
# --------------------------------------------------------------------------
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

if [ -n "${LATCHKEY_BENCH_POSTGRES:-}" ]; then
    log "using LATCHKEY_BENCH_POSTGRES from the environment; starting no PostgreSQL"
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

    PG_PORT=""
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

    export LATCHKEY_BENCH_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
fi
log "LATCHKEY_BENCH_POSTGRES=$LATCHKEY_BENCH_POSTGRES"

# --------------------------------------------------------------------------
# 4. The benchmark.
# --------------------------------------------------------------------------
set +e
dotnet bench/Latchkey.Bench/bin/Release/net10.0/Latchkey.Bench.dll \
    --server-dll src/Latchkey.Server/bin/Release/net10.0/Latchkey.Server.dll "$@"
rc=$?
set -e
exit "$rc"

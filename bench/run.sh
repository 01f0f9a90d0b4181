#!/usr/bin/env bash
# Latchkey benchmark: THE command to run it.
#
#   bench/run.sh [Latchkey.Bench arguments...]
#       e.g. bench/run.sh --quick                  (about 3 minutes)
#            bench/run.sh                          (full: about 12 minutes on 2 cores)
#            bench/run.sh --seconds 8 --databases postgres
#
# What it does (same PostgreSQL approach as test.sh):
#   1. installs wrk from Debian if missing, and PostgreSQL if no initdb is found and no server is given;
#   2. builds the server, the ceiling app (bench/Latchkey.Ceiling) and the benchmark in Release;
#   3. unless LATCHKEY_BENCH_POSTGRES is set, starts a throwaway PostgreSQL cluster on
#      127.0.0.1 (free port from 55432 up, data under a mktemp dir; fsync and synchronous
#      commit off, as for the tests) and exports
#      LATCHKEY_BENCH_POSTGRES="Host=127.0.0.1;Port=PORT;Username=postgres;Database=postgres";
#   4. runs bench/Latchkey.Bench, which per database starts a Latchkey node, then the ceiling
#      app on a copy of its database, drives both with wrk, prints issue 12's targets with
#      PASS/MISS and every measurement as Markdown on stdout (progress on stderr) and exits 0
#      when it ran; `uptime` is printed before and after, so a busy machine shows;
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

# Under /tmp on purpose: the postgres user must reach it and the socket path must stay short.
TMP_ROOT="$(mktemp -d /tmp/latchkey-bench.XXXXXX)"
. scripts/throwaway-postgres.sh

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    pg_stop
    rm -rf "$TMP_ROOT"
    exit "$rc"
}
trap cleanup EXIT
# Bash runs these only after the benchmark (which handles the signal itself) has exited.
trap 'exit 130' INT
trap 'exit 143' TERM

# --------------------------------------------------------------------------
# 1. wrk and PostgreSQL from Debian, only when missing.
# --------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "apt-get install wrk"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null 2>&1 ||
        { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
          $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; } ||
        die "could not install wrk"
fi
if [ -z "${LATCHKEY_BENCH_POSTGRES:-}" ]; then
    pg_install_if_missing
fi

# --------------------------------------------------------------------------
# 2. Release builds of the server (run as a process by the benchmark) and the benchmark.
# --------------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE="${DOTNET_SKIP_FIRST_TIME_EXPERIENCE:-1}"
for project in src/Latchkey.Server/Latchkey.Server.csproj bench/Latchkey.Ceiling/Latchkey.Ceiling.csproj bench/Latchkey.Bench/Latchkey.Bench.csproj; do
    log "dotnet build $project -c Release"
    dotnet build "$project" -c Release -v quiet -nologo >"$TMP_ROOT/build.log" 2>&1 ||
        { cat "$TMP_ROOT/build.log" >&2; die "build of $project failed"; }
done

# --------------------------------------------------------------------------
# 3. Throwaway PostgreSQL cluster (scripts/throwaway-postgres.sh, as in test.sh).
# --------------------------------------------------------------------------
if [ -n "${LATCHKEY_BENCH_POSTGRES:-}" ]; then
    log "using LATCHKEY_BENCH_POSTGRES from the environment; starting no PostgreSQL"
else
    pg_start
    export LATCHKEY_BENCH_POSTGRES="$PG_CONNECTION"
fi
log "LATCHKEY_BENCH_POSTGRES=$LATCHKEY_BENCH_POSTGRES"

# --------------------------------------------------------------------------
# 4. The benchmark.
# --------------------------------------------------------------------------
log "uptime at start: $(uptime)"
set +e
dotnet bench/Latchkey.Bench/bin/Release/net10.0/Latchkey.Bench.dll \
    --server-dll src/Latchkey.Server/bin/Release/net10.0/Latchkey.Server.dll \
    --ceiling-dll bench/Latchkey.Ceiling/bin/Release/net10.0/Latchkey.Ceiling.dll "$@"
rc=$?
set -e
log "uptime at end: $(uptime)"
exit "$rc"

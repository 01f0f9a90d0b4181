# shellcheck shell=bash
# A throwaway PostgreSQL cluster on 127.0.0.1, shared by test.sh and bench/run.sh.
# Source it after defining log() and die() and creating TMP_ROOT (a mktemp dir under /tmp:
# the postgres user must reach it and the socket path inside it must stay short).
#
#   pg_install_if_missing        apt-get install postgresql when no initdb/pg_ctl is found
#   pg_start                     initdb + start on a free port from 55432; sets PG_PORT and
#                                PG_CONNECTION ("Host=127.0.0.1;Port=..;Username=postgres;Database=postgres")
#   pg_stop                      stop it (call from the caller's EXIT trap; harmless if not started)

PG_BIN=""
PG_DATA=""
PG_PORT=""
PG_CONNECTION=""
PG_STARTED=0

pg_find_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
    fi
}

pg_install_if_missing() {
    if [ -n "$(pg_find_bin)" ] && dpkg -s postgresql >/dev/null 2>&1; then
        return
    fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    log "apt-get install postgresql"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
}

pg_as_postgres() {
    # PostgreSQL refuses to run as root: run its binaries as `postgres`, from the temp dir
    # so that user never needs access to our working directory.
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$TMP_ROOT" && runuser -u postgres -- "$@")
    else
        (cd "$TMP_ROOT" && "$@")
    fi
}

pg_port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_start() {
    PG_BIN="$(pg_find_bin)"
    [ -n "$PG_BIN" ] || die "no PostgreSQL initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    PG_DATA="$TMP_ROOT/data"
    local sock="$TMP_ROOT/sock" port=55432 attempt
    mkdir -p "$sock"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$TMP_ROOT"
    fi

    log "initdb ($PG_BIN)"
    pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$TMP_ROOT/initdb.log" 2>&1 ||
        { cat "$TMP_ROOT/initdb.log" >&2; die "initdb failed"; }

    for attempt in 1 2 3 4 5; do
        while pg_port_in_use "$port"; do
            port=$((port + 1))
            [ "$port" -lt 56432 ] || die "no free port found in 55432-56431"
        done
        log "starting PostgreSQL on 127.0.0.1:$port (attempt $attempt)"
        # Durability off: the cluster is thrown away, and the suite and benchmark compare
        # like with like (the benchmark's raw-write limit runs on the same cluster).
        if pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP_ROOT/postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            PG_STARTED=1
            PG_PORT="$port"
            PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
            return
        fi
        log "PostgreSQL did not start on port $port; server log:"
        tail -n 20 "$TMP_ROOT/postgres.log" >&2 || true
        port=$((port + 1))
    done
    die "could not start PostgreSQL"
}

pg_stop() {
    if [ "$PG_STARTED" = 1 ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        log "stopping PostgreSQL"
        pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -t 30 -w stop >/dev/null 2>&1 ||
            pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    PG_STARTED=0
}

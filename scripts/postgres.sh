#!/usr/bin/env bash
# A throwaway PostgreSQL server for tessera-sqlx's tests, in one command:
#
#   eval "$(scripts/postgres.sh start)"   # prints export lines; then cargo test ...
#   scripts/postgres.sh down|up|restart   # stop/start the server, keep its data
#                                         # (what the restart fault test runs)
#   scripts/postgres.sh stop              # stops it and deletes its folder
#
# The cluster lives in a temporary folder ($TESSERA_PG_DIR, default
# ${TMPDIR:-/tmp}/tessera-postgres), listens on 127.0.0.1 on a free port only, and trusts
# local connections (a test server: never expose it). Uses the newest PostgreSQL under
# /usr/lib/postgresql/*/bin (Debian's `postgresql` package) or pg_ctl on the PATH; as
# root it installs the package when missing and runs the server as the `postgres` user
# (initdb refuses root).
set -euo pipefail
dir=${TESSERA_PG_DIR:-${TMPDIR:-/tmp}/tessera-postgres}
cmd=${1:-}

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
    if [[ -z $d ]] && command -v pg_ctl >/dev/null; then d=$(dirname "$(command -v pg_ctl)"); fi
    if [[ -z $d && $(id -u) == 0 ]]; then
        echo "installing postgresql from Debian's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >/dev/null
        d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
    fi
    [[ -n $d ]] || { echo "PostgreSQL not found: install Debian's postgresql package" >&2; exit 1; }
    echo "$d"
}

# Runs a server binary as the cluster's owner: the postgres user when we are root.
as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

exports() {
    local port script
    port=$(cat "$dir/port")
    script=$(cd "$(dirname "$0")" && pwd)/postgres.sh
    echo "export TESSERA_TEST_POSTGRES_URL=postgres://tessera@127.0.0.1:$port/tessera"
    echo "export TESSERA_TEST_POSTGRES_CTL='TESSERA_PG_DIR=$dir $script'"
}

pg_start() {
    local bin port
    bin=$(bindir)
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=32MB" \
        start >&2
}

case $cmd in
start)
    if [[ -f $dir/port ]] && "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$(cat "$dir/port")"; then
        exports
        exit 0
    fi
    bin=$(bindir)
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    free_port >"$dir/port"
    as_owner "$bin/initdb" -D "$dir/data" -U tessera --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    pg_start
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U tessera tessera
    exports
    ;;
down)
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    ;;
up)
    pg_start
    ;;
restart)
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    pg_start
    ;;
stop)
    if [[ -d $dir/data ]]; then
        as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    ;;
url)
    exports
    ;;
*)
    echo "usage: $0 start|stop|down|up|restart|url" >&2
    exit 2
    ;;
esac

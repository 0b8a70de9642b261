#!/usr/bin/env bash
# Prints the URL of a PostgreSQL server that `make run` and `make test` can use, starting a
# private cluster under ./.data/pg when none is reachable:
#   1. $DATABASE_URL, if it answers;
#   2. the local server on 127.0.0.1:5432 (user postgres, then the current user);
#   3. a private cluster from the installed binaries on port 54329 (as a non-root user when root).
# The URL names the maintenance database `postgres`; callers create their own databases.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "db.sh: $*" >&2; }

answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if [ -n "${DATABASE_URL:-}" ]; then
  if answers "$DATABASE_URL"; then
    # Same server, maintenance database.
    echo "$DATABASE_URL" | sed -E 's#(//[^/]*)/[^?]*#\1/postgres#'
    exit 0
  fi
  say "DATABASE_URL does not answer; looking for another server"
fi

if command -v psql >/dev/null 2>&1; then
  for user in postgres "$(id -un)"; do
    url="postgres://$user@127.0.0.1:5432/postgres?sslmode=disable"
    if answers "$url"; then echo "$url"; exit 0; fi
  done
fi

bindir=""
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
  for d in $(ls -d /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /opt/homebrew/opt/postgresql@*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
  done
fi
if [ -z "$bindir" ]; then
  say "no PostgreSQL server is reachable and no PostgreSQL binaries (initdb, pg_ctl) are installed."
  say "install PostgreSQL 15 or newer, e.g.  sudo apt-get install postgresql  (Debian/Ubuntu)"
  say "                                      brew install postgresql@16       (macOS)"
  say "or set DATABASE_URL to a server you can use (with ?sslmode=...)."
  exit 1
fi

port=54329
data="$PWD/.data/pg"
url="postgres://patuh@127.0.0.1:$port/postgres?sslmode=disable"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb and postgres refuse to run as root: run them as the postgres (or nobody) user.
  owner=postgres
  id "$owner" >/dev/null 2>&1 || owner=nobody
  as_owner=(runuser -u "$owner" --)
  mkdir -p "$data"
  chown -R "$owner" "$PWD/.data"
  # The owner must be able to reach the data directory through the checkout's parents.
  chmod o+x "$PWD" 2>/dev/null || true
fi
if [ ! -s "$data/PG_VERSION" ]; then
  say "starting a private PostgreSQL cluster in $data (binaries: $bindir)"
  mkdir -p "$data"
  [ ${#as_owner[@]} -gt 0 ] && chown -R "${as_owner[2]}" "$PWD/.data"
  "${as_owner[@]}" "$bindir/initdb" -D "$data" -U patuh --auth=trust -E UTF8 --locale=C >/dev/null
fi
if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null
  say "private PostgreSQL running on 127.0.0.1:$port (stop it with: make db-stop)"
fi
echo "$url"

#!/usr/bin/env bash
# The employer-list and name-search latencies (patuh-bench latency) on a database that
# `make bench-import` (scripts/bench-import.sh) has loaded with the Jakarta-scale data, without
# loading it again: BENCH_DB names it (default patuh_bench), BENCH_PORT the port to serve on.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
admin=$(scripts/db.sh)
db=${BENCH_DB:-patuh_bench}
port=${BENCH_PORT:-8097}
url=$(echo "$admin" | sed -E "s#/postgres([?]|$)#/$db\1#")
go build -o bin/patuh ./cmd/patuh
go build -o bin/patuh-bench ./cmd/patuh-bench
export DATABASE_URL=$url PATUH_DATA_DIR=.data/bench-files PATUH_ADDR=:$port PATUH_LOG_FORMAT=text
bin/patuh migrate >/dev/null
token=$(bin/patuh token create --username bench --label benchmark 2>/dev/null)
bin/patuh serve > .data/bench-search-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf localhost:$port/readyz >/dev/null && break; sleep 0.2; done
bin/patuh-bench latency http://localhost:$port "$token" "${REQUESTS:-400}"

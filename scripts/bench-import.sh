#!/usr/bin/env bash
# Jakarta-scale import benchmark (issue 3). Generates 233,826 employers, ~3.9 million roster rows
# and ~2.5 million participants (once, in .data/bench), starts `patuh serve` on a fresh database,
# uploads the four files through the API and prints, per kind: rows/s of the import (upload to
# committed) against `psql \copy` of the same file into a bare table, and the flags that follow
# the commit (until the import is settled); the flag computation for all of Jakarta; the
# server's peak memory; and employer-list latencies with the full data.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
admin=$(scripts/db.sh)
db=${BENCH_DB:-patuh_bench}
url=$(echo "$admin" | sed -E "s#/postgres([?]|$)#/$db\1#")
port=${BENCH_PORT:-8097}
data=.data/bench
files=.data/bench-files

go build -o bin/patuh ./cmd/patuh
go build -o bin/patuh-bench ./cmd/patuh-bench
[ -s $data/participants.csv ] || bin/patuh-bench gen $data
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
rm -rf $files
export DATABASE_URL=$url PATUH_DATA_DIR=$files PATUH_ADDR=:$port PATUH_LOG_FORMAT=text
bin/patuh migrate >/dev/null
printf 'patuh-jakarta-2026-import\n' | bin/patuh user add --username bench --name Bench --role admin --password-stdin >/dev/null
token=$(bin/patuh token create --username bench --label benchmark 2>/dev/null)
bin/patuh serve > .data/bench-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf localhost:$port/readyz >/dev/null && break; sleep 0.2; done

echo "kind             rows      import s   rows/s    \\copy s   rows/s     ratio   flags s"
for kind in employers bpjs_employers workers participants; do
  file=$data/$kind.csv
  rows=$(($(wc -l < $file) - 1))
  start=$(date +%s.%N)
  id=$(curl -sf -H "Authorization: Bearer $token" -F kind=$kind -F file=@$file localhost:$port/api/v1/imports | sed -E 's/.*"id":([0-9]+).*/\1/')
  while :; do
    status=$(curl -sf -H "Authorization: Bearer $token" localhost:$port/api/v1/imports/$id | sed -E 's/.*"status":"([a-z_]+)".*/\1/')
    case $status in committed) break ;; failed|needs_review|discarded) echo "import $id: $status"; exit 1 ;; esac
    sleep 0.5
  done
  took=$(echo "$(date +%s.%N) - $start" | bc)
  # The flags of the employers the file touched follow the commit, in batches; the import is
  # settled when they and the work that reads them are done.
  fstart=$(date +%s.%N)
  until [ "$(psql "$url" -Atc "SELECT settled_at IS NOT NULL FROM imports WHERE id = $id")" = t ]; do sleep 0.2; done
  ftook=$(echo "$(date +%s.%N) - $fstart" | bc)
  cols=$(head -1 $file | sed 's/,/ text,/g; s/$/ text/')
  psql "$url" -qc "DROP TABLE IF EXISTS bare_$kind" -c "CREATE TABLE bare_$kind ($cols)"
  cstart=$(date +%s.%N)
  psql "$url" -qc "\\copy bare_$kind from '$file' csv header"
  ctook=$(echo "$(date +%s.%N) - $cstart" | bc)
  psql "$url" -qc "DROP TABLE bare_$kind"
  printf '%-15s %9d %9.1f %9.0f %9.1f %9.0f %8.1fx %9.1f\n' $kind $rows $took $(echo "$rows / $took" | bc) $ctook $(echo "$rows / $ctook" | bc) $(echo "$took / $ctook" | bc -l) $ftook
done
grep -E 'import (validated|committed)' .data/bench-serve.log | sed -E 's/^time=[^ ]+ level=INFO msg=//' | sed 's/^/  /'

echo
bin/patuh flags recompute | sed 's/^/  /'
echo "  server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{printf "%.0f MB", $2/1024}')"
bin/patuh-bench latency http://localhost:$port "$token" 400 | sed 's/^/  /'

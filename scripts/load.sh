#!/usr/bin/env bash
# Load test (issue 6): on the Jakarta-scale database of `make bench-import`, starts the server,
# gives ten inspectors (two per kota) twenty cases each, then drives 200 requests/s for 30 s of
# supervisors on lists, filters and figures and inspectors on their cases and visits, and
# prints throughput, p50/p95/p99 and errors; then the same, window after window, while a
# 2.5-million-row participants file is validated and committed and its flags recomputed.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
admin=$(scripts/db.sh)
db=patuh_bench
url=$(echo "$admin" | sed -E "s#/postgres([?]|$)#/$db\1#")
if ! psql "$url" -Atqc "SELECT 1 FROM employer_status LIMIT 1" 2>/dev/null | grep -q 1; then
  echo "no Jakarta-scale data yet: running make bench-import first"; scripts/bench-import.sh
fi
go build -o bin/patuh ./cmd/patuh
go build -o bin/patuh-bench ./cmd/patuh-bench
port=8096
export DATABASE_URL=$url PATUH_DATA_DIR=.data/bench-files PATUH_ADDR=:$port PATUH_LOG_FORMAT=text
rate=${RATE:-200}; seconds=${SECONDS_PER_RUN:-30}

user() { # name role area
  printf 'load-test-password\n' | bin/patuh user add --username "$1" --name "$1" --role "$2" ${3:+--area $3} --password-stdin >/dev/null 2>&1 ||
    printf 'load-test-password\n' | bin/patuh user password --username "$1" --password-stdin >/dev/null
  bin/patuh token create --username "$1" --label "$2 test" 2>/dev/null
}
bin/patuh serve > .data/load-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf localhost:$port/readyz >/dev/null && break; sleep 0.2; done

supervisor=$(user load.supervisor supervisor)
inspectors=()
for kota in 31.71 31.72 31.73 31.74 31.75; do
  for n in 1 2; do
    name=load.insp.${kota//./}.$n
    tok=$(user "$name" inspector "$kota")
    inspectors+=("$tok")
    bin/patuh-bench cases http://localhost:$port "$supervisor" "$kota" "$name" 20
  done
done

# Every earlier run left dead rows (each visit bumps its case's version; imports rewrite the
# flags). Autovacuum would clear them, but this machine's PostgreSQL runs without it, and stale
# statistics then turn plans bad: vacuum by hand so that every run starts from the same state.
[ "$(psql "$url" -Atc 'SHOW autovacuum')" = on ] || echo "note: autovacuum is off on this server; vacuuming by hand first"
psql "$url" -qc "VACUUM (ANALYZE)" -c "CHECKPOINT" # and write its pages now, not during the first window

# A server just started opens its database connections and fills their caches in its first
# seconds under load; a real one has long done that. Ten seconds at the rate, not measured.
bin/patuh-bench load http://localhost:$port "$rate" 10 "$supervisor" "${inspectors[@]}" > /dev/null
echo "steady load, $rate requests/s for $seconds s (after 10 s of warm-up):"
bin/patuh-bench load http://localhost:$port "$rate" "$seconds" "$supervisor" "${inspectors[@]}"

echo "the same during an import of $(($(wc -l < .data/bench/participants.csv) - 1)) participants:"
# A new snapshot: the same rows and one more of an NPP named by the clock, so the bytes are new.
{ cat .data/bench/participants.csv; printf 'L%07d,3171010101900001,,Beban,6000000,aktif,\n' $(( $(date +%s) % 10000000 )); } \
  > .data/bench/participants-load.csv
admin_token=$(user load.admin admin)
id=$(curl -sf -H "Authorization: Bearer $admin_token" -F kind=participants -F file=@.data/bench/participants-load.csv \
  localhost:$port/api/v1/imports | sed -E 's/.*"id":([0-9]+).*/\1/')
status() { curl -sf -H "Authorization: Bearer $admin_token" localhost:$port/api/v1/imports/$id | sed -E 's/.*"status":"([a-z_]+)".*/\1/'; }
# Windows of $seconds each, until the import is settled: validation, the commit and the flags
# that follow it all get measured.
while :; do
  phase=$(status)
  case $phase in failed|needs_review) break ;; esac
  if [ "$phase" = committed ]; then
    [ "$(psql "$url" -Atc "SELECT settled_at IS NOT NULL FROM imports WHERE id = $id")" = t ] && break
    phase=flags
  fi
  printf '  while %-11s ' "$phase"
  bin/patuh-bench load http://localhost:$port "$rate" "$seconds" "$supervisor" "${inspectors[@]}"
done
grep -E 'import (validated|committed)' .data/load-serve.log | sed -E 's/^time=[^ ]+ level=INFO msg=//' | sed 's/^/  /'
echo "server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{printf "%.0f MB", $2/1024}')"

#!/usr/bin/env bash
# Load test (issue 6): on the Jakarta-scale database of `make bench-import`, starts the server,
# gives ten inspectors (two per kota) twenty cases each, then drives 200 requests/s for 30 s of
# supervisors on lists, filters and figures and inspectors on their cases and visits, and
# prints throughput, p50/p95/p99 and errors; then the same while a 2.5-million-row participants
# file is imported.
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
  bin/patuh token create --username "$1" 2>/dev/null
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
    # Twenty of the kota's employers with the largest shortfall that have no case yet.
    ids=$(curl -sf -H "Authorization: Bearer $supervisor" "localhost:$port/api/v1/employers?area=$kota&limit=200" |
      grep -o '"id":[0-9]*,"nib"[^}]*"open_case_id":null' | sed -E 's/"id":([0-9]+),.*/\1/' | sed -n "$(( (n - 1) * 20 + 1 )),$(( n * 20 ))p")
    for id in $ids; do
      res=$(curl -sf -H "Authorization: Bearer $supervisor" -H 'Content-Type: application/json' \
        -d "{\"employer_id\": $id}" localhost:$port/api/v1/cases || true)
      cid=$(echo "$res" | sed -nE 's/^\{"id":([0-9]+),.*/\1/p')
      [ -n "$cid" ] && curl -sf -o /dev/null -H "Authorization: Bearer $supervisor" -H 'Content-Type: application/json' \
        -d "{\"assignee\": \"$name\", \"version\": 1}" localhost:$port/api/v1/cases/$cid/assign || true
    done
  done
done

echo "steady load, $rate requests/s for $seconds s:"
bin/patuh-bench load http://localhost:$port "$rate" "$seconds" "$supervisor" "${inspectors[@]}"

echo "the same during an import of $(($(wc -l < .data/bench/participants.csv) - 1)) participants:"
# A new snapshot: the same rows with one changed wage, so the bytes are new.
sed '2s/,6000000,/,6000001,/; 2s/\(,[0-9]*,\)\(aktif\|nonaktif\)/\1\2/' .data/bench/participants.csv > .data/bench/participants-load.csv
curl -sf -o /dev/null -H "Authorization: Bearer $(user load.admin admin)" -F kind=participants \
  -F file=@.data/bench/participants-load.csv localhost:$port/api/v1/imports &
sleep 3
bin/patuh-bench load http://localhost:$port "$rate" "$seconds" "$supervisor" "${inspectors[@]}"
wait
echo "server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{printf "%.0f MB", $2/1024}')"

#!/usr/bin/env bash
# Cluster fault test (issue 13): HAProxy on 127.0.0.1:8110 in front of three `patuh serve` on one
# PostgreSQL and one shared file directory, health-checked on /readyz. While the mixed load of
# `make load` runs through HAProxy in 10-second windows, it
#   (a) uploads a roster and two participants files to three different instances at once,
#   (b) kills with SIGKILL the instance validating an import, and later the one committing one,
#   (c) restarts (SIGTERM, graceful) an instance while flags are being computed,
#   (d) restarts PostgreSQL,
# then waits until every import is settled and prints, per window, requests, errors by status and
# p50/p99, and per import: validated once, committed once, settled, rows equal to the file.
# Needs haproxy (Debian package `haproxy`); generates the Jakarta-scale files of `make bench-import`
# when missing. It restarts the PostgreSQL it runs on: give it a server of its own
# (DATABASE_URL=… PGDATA_OF_SERVER=…) when others use the machine's.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
command -v haproxy >/dev/null || { echo "cluster: haproxy is needed (apt-get install haproxy)" >&2; exit 1; }
admin=$(scripts/db.sh)
db=patuh_cluster
url=$(echo "$admin" | sed -E "s#/postgres([?]|$)#/$db\1#")
data=.data/bench
files=.data/cluster-files
logs=.data/cluster
rate=${RATE:-100}
lb=8110
ports=(8111 8112 8113)

go build -o bin/patuh ./cmd/patuh
go build -o bin/patuh-bench ./cmd/patuh-bench
[ -s $data/participants.csv ] || bin/patuh-bench gen $data
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
rm -rf $files $logs && mkdir -p $files $logs
# As `make run`: migrations as the owner, the servers as patuh_app (README, Database roles).
psql "$admin" -Atqc "SELECT 1 FROM pg_roles WHERE rolname = 'patuh_app'" | grep -q 1 || psql "$admin" -qc 'CREATE ROLE patuh_app'
psql "$admin" -qc 'ALTER ROLE patuh_app LOGIN NOSUPERUSER'
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > $logs/audit.key
export DATABASE_OWNER_URL=$url DATABASE_URL=$(echo "$url" | sed -E 's#//[^@/]*@#//patuh_app@#') PATUH_AUDIT_KEY_FILE=$logs/audit.key
export PATUH_DATA_DIR=$files PATUH_LOG_FORMAT=text PATUH_SECRET=cluster-test-secret-of-at-least-32-chars
bin/patuh migrate >/dev/null
sql() { psql "$url" -Atqc "$1"; }

pids=()
start() { # instance number 0..2
  PATUH_ADDR=127.0.0.1:${ports[$1]} bin/patuh serve >> $logs/serve-$1.log 2>&1 &
  pids[$1]=$!
  for _ in $(seq 100); do curl -sf localhost:${ports[$1]}/readyz >/dev/null && return; sleep 0.1; done
}
instance_of_pid() { for i in 0 1 2; do if [ "${pids[$i]}" = "$1" ]; then echo $i; fi; done; }
cat > $logs/haproxy.cfg <<EOF
global
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 120s
  retries 3
  option redispatch
backend instances
  balance roundrobin
  # A request cut by an instance's death is sent again elsewhere, unless it may have changed
  # something (a POST without its idempotency key is not retried).
  retry-on conn-failure empty-response response-timeout
  http-request disable-l7-retry if METH_POST
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1
  server a 127.0.0.1:${ports[0]} check
  server b 127.0.0.1:${ports[1]} check
  server c 127.0.0.1:${ports[2]} check
frontend patuh
  bind 127.0.0.1:$lb
  default_backend instances
EOF
for i in 0 1 2; do start $i; done
haproxy -f $logs/haproxy.cfg -db > $logs/haproxy.log 2>&1 &
proxy=$!
loader=""
trap 'kill ${pids[*]} $proxy $loader 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf localhost:$lb/readyz >/dev/null && break; sleep 0.2; done

user() { # name role area: prints an API token
  printf 'cluster-test-password\n' | bin/patuh user add --username "$1" --name "$1" --role "$2" ${3:+--area $3} --password-stdin >/dev/null
  bin/patuh token create --username "$1" --label "$2 test" 2>/dev/null
}
admin_token=$(user cluster.admin admin)
upload() { # port kind file: prints the import id
  curl -sf -H "Authorization: Bearer $admin_token" -F kind=$2 -F file=@$3 localhost:$1/api/v1/imports | sed -E 's/.*"id":([0-9]+).*/\1/'
}
settled() { [ "$(sql "SELECT count(*) FROM imports WHERE NOT (status IN ('failed', 'needs_review', 'discarded') OR settled_at IS NOT NULL)")" = 0 ]; }

echo "register: employers and BPJS employers through HAProxy"
upload $lb employers $data/employers.csv >/dev/null
until settled; do sleep 1; done
upload $lb bpjs_employers $data/bpjs_employers.csv >/dev/null
until settled; do sleep 1; done
supervisor=$(user cluster.supervisor supervisor)
inspectors=()
for kota in 31.71 31.72 31.73 31.74 31.75; do
  name=cluster.insp.${kota//./}
  inspectors+=("$(user "$name" inspector "$kota")")
  bin/patuh-bench cases http://localhost:$lb "$supervisor" "$kota" "$name" 20 >/dev/null
done
psql "$url" -qc "VACUUM (ANALYZE)"

# The load runs in windows of 10 s until the faults are done, each named by the phase it saw.
echo warm-up > $logs/phase
(
  while [ -f $logs/phase ]; do
    phase=$(cat $logs/phase 2>/dev/null || echo end)
    printf '%s %-44s ' "$(date +%T)" "$phase"
    bin/patuh-bench load http://localhost:$lb "$rate" 10 "$supervisor" "${inspectors[@]}" | tr '\n' ' '
    echo
  done
) > $logs/windows.log 2>&1 &
loader=$!
phase() { echo "$1" > $logs/phase; echo "  $(date +%T) $1"; }
sleep 12

echo "faults:"
phase "(a) three uploads at once"
{ cat $data/participants.csv; printf 'L9999999,3171010101900001,,Beban,6000000,aktif,\n'; } > $logs/participants-2.csv
uploads=()
upload ${ports[0]} workers $data/workers.csv > $logs/id-workers & uploads+=($!)
upload ${ports[1]} participants $data/participants.csv > $logs/id-participants & uploads+=($!)
upload ${ports[2]} participants $logs/participants-2.csv > $logs/id-participants-2 & uploads+=($!)
wait "${uploads[@]}"

lease_pid() { # status: the pid of the instance holding a lease on an import in that status
  sql "SELECT substring(lease_owner from '-([0-9]+)-[0-9a-f]{6}\$') FROM imports WHERE status = '$1' AND lease_until > now() ORDER BY id LIMIT 1"
}
kill_owner() { # status label
  local pid=""
  for _ in $(seq 600); do pid=$(lease_pid "$1"); [ -n "$pid" ] && break; sleep 0.1; done
  [ -n "$pid" ] || { echo "  no import reached $1"; return; }
  local i; i=$(instance_of_pid "$pid")
  phase "$2 (instance $i, pid $pid)"
  kill -9 "$pid"
  sleep 2
  start "$i"
}
kill_owner validating "(b) SIGKILL during validation"
kill_owner committing "(b) SIGKILL during a commit"
for _ in $(seq 1200); do
  [ -n "$(sql "SELECT id FROM imports WHERE status = 'committed' AND settled_at IS NULL LIMIT 1")" ] && break; sleep 0.1
done
phase "(c) restart during flags (instance 1)"
kill -TERM "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
start 1
sleep 5
phase "(d) PostgreSQL restart"
# The server's data directory: PGDATA_OF_SERVER, else the private cluster of scripts/db.sh, else
# Debian's cluster.
pgdata=${PGDATA_OF_SERVER:-.data/pg}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -d "$pgdata" ]; then
  runner=(); [ "$(id -u)" = 0 ] && runner=(runuser -u "$(stat -c %U "$pgdata")" --)
  "${runner[@]}" "$pgbin/pg_ctl" -D "$pgdata" restart -m fast -w >/dev/null
else
  pg_ctlcluster --skip-systemctl-redirect 15 main restart
fi
sleep 15
phase "after the faults"
for _ in $(seq 1800); do settled && break; sleep 1; done
sleep 10
rm -f $logs/phase
wait $loader || true

echo
echo "load through HAProxy ($rate requests/s, windows of 10 s):"
cat $logs/windows.log
echo
echo "imports:"
printf '  %-4s %-14s %-10s %-10s %-9s %-8s %-10s %-10s %s\n' id kind status validated committed settled "file rows" "rows valid" "rows in force"
for kind in employers bpjs_employers workers participants; do
  for id in $(sql "SELECT id FROM imports WHERE kind = '$kind' ORDER BY id"); do
    IFS='|' read -r status validated committed settled valid < <(sql "SELECT status, validations, commits, settled_at IS NOT NULL, rows_valid FROM imports WHERE id = $id")
    case $kind in
      workers) inforce=$(sql "SELECT count(*) FROM workers WHERE import_id = $id") ;;
      participants) inforce=$(sql "SELECT count(*) FROM participants WHERE import_id = $id") ;;
      *) inforce=- ;;
    esac
    file=$(sql "SELECT filename FROM imports WHERE id = $id")
    case $file in participants-2.csv) path=$logs/$file ;; *) path=$data/$file ;; esac
    printf '  %-4s %-14s %-10s %-10s %-9s %-8s %-10s %-10s %s\n' "$id" "$kind" "$status" "$validated" "$committed" "$settled" \
      "$(($(wc -l < "$path") - 1))" "$valid" "$inforce"
  done
done
awk '/load:/ {
    match($0, /load: [0-9]+/); n += substr($0, RSTART + 6, RLENGTH - 6); match($0, /p99 [0-9.]+/); p99 = substr($0, RSTART + 4, RLENGTH - 4) + 0
    if ($0 ~ /errors by status/) { bad++; s = $0; sub(/.*errors by status:/, "", s); statuses = statuses " [" $1 "]" s }
    else if (p99 > worst) worst = p99
  } END {
    printf "  %d requests in all; windows with errors: %d%s\n", n, bad, statuses
    printf "  worst p99 of the windows without errors: %.1f ms\n", worst
  }' $logs/windows.log
echo
echo "lease takeovers:"
grep -h "validating again\|lease lost\|cannot read the file" $logs/serve-*.log | sed -E 's/^time=[^ ]+ //' | sed 's/^/  /' || echo "  none"

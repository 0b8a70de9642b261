#!/usr/bin/env bash
# Measures the inspector's offline app in headless chromium: the time to send an outbox of 10
# visits x 3 photos of 2 MB over an emulated phone connection (1.5 Mbit/s, 300 ms RTT), and
# the offline storage per cached case. Needs chromium and a PostgreSQL (scripts/db.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
admin=$(scripts/db.sh)
PATUH_BENCH_SYNC=1 TEST_DATABASE_URL="$admin" go test -count=1 -timeout 30m -run '^TestFieldSyncFigures$' -v ./internal/app 2>&1 |
  grep -E '^(sync|offline storage):|^(--- |ok|FAIL)'

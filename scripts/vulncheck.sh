#!/usr/bin/env bash
# govulncheck against an offline vulnerability database (issue 6). The database is built from the
# OSV files inside the golang.org/x/vulndb module, fetched through the Go module proxy like any
# module, so the scan needs neither vuln.go.dev nor any other site. Bump VULNDB to refresh it.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
VULNDB=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK=v1.9.0
out=.data/vulndb-$VULNDB
if [ ! -s "$out/index/db.json" ]; then
  src=$(GOFLAGS=-mod=mod go mod download -json golang.org/x/vulndb@$VULNDB | sed -nE 's/^\t"Dir": "(.*)",$/\1/p')
  rm -rf "$out.tmp" && mkdir -p .data
  go run golang.org/x/vulndb/cmd/indexdb@$VULNDB -vulns "$src/data/osv" -out "$out.tmp"
  mv "$out.tmp" "$out"
fi
echo "govulncheck $GOVULNCHECK, database golang.org/x/vulndb@$VULNDB ($(ls "$out/ID" | grep -c "json$") entries)"
go run golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK -db "file://$PWD/$out" ./...

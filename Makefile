# Patuh: `make run` serves the demo on :8080; `make test` runs every test on a real PostgreSQL.
# Go 1.27.3 is fetched by the go command itself from the module proxy.
export GOTOOLCHAIN := go1.27.3
export GOFLAGS := -mod=mod

BIN := bin/patuh
PG_ADMIN_URL = $(shell scripts/db.sh)

.PHONY: run build test check tools lint-openapi fuzz db-stop clean vendor bench-import load bench-sync cluster

build:
	go build -o $(BIN) ./cmd/patuh

# Two database roles (README, Security): the administrator's (here the server's superuser) owns
# the database and runs the migrations (DATABASE_OWNER_URL); the server connects as patuh_app,
# which may only read and append the audit log. The key sealing the audit chain is kept in
# .data/audit.key, outside the database. A DATABASE_URL of your own is used as given (with
# DATABASE_OWNER_URL, or itself, for the migrations); without one, the database patuh and the
# role patuh_app are created on the server scripts/db.sh finds.
run: build
	@if [ -n "$$DATABASE_URL" ]; then \
		app="$$DATABASE_URL"; owner="$${DATABASE_OWNER_URL:-$$DATABASE_URL}"; \
		echo "make run: using DATABASE_URL as given"; \
	else \
		admin=$$(scripts/db.sh); [ -n "$$admin" ] || exit 1; \
		owner=$$(echo "$$admin" | sed -E 's#/postgres([?]|$$)#/patuh\1#'); \
		app=$$(echo "$$owner" | sed -E 's#//[^@/]*@#//patuh_app@#'); \
		psql "$$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = 'patuh'" | grep -q 1 || psql "$$admin" -qc 'CREATE DATABASE patuh'; \
		psql "$$admin" -Atqc "SELECT 1 FROM pg_roles WHERE rolname = 'patuh_app'" | grep -q 1 || psql "$$admin" -qc 'CREATE ROLE patuh_app'; \
		psql "$$admin" -qc 'ALTER ROLE patuh_app LOGIN NOSUPERUSER' || exit 1; \
	fi; \
	[ -s .data/audit.key ] || { mkdir -p .data && (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/audit.key); }; \
	export DATABASE_OWNER_URL="$$owner" DATABASE_URL="$$app" PATUH_AUDIT_KEY_FILE=.data/audit.key; \
	addr="$${PATUH_ADDR:-:8080}"; case "$$addr" in :*) url="http://localhost$$addr";; *) url="http://$$addr";; esac; \
	$(BIN) migrate && \
	$(BIN) seed-demo && \
	echo && echo "Patuh: $$url  (log in with a user above: inspektur.timur needs no second factor; Ctrl-C stops)" && echo && \
	PATUH_LOG_FORMAT=text exec $(BIN) serve

# Every test package clones its own database from a migrated template on this server; the
# harness (internal/db/dbtest) runs the migrations as the administrator and gives the role
# patuh_app LOGIN: the tests' application connects as it, like the server.
# PATUH_REQUIRE_BROWSER=1 (set by .ci/run) turns a missing chromium into a failure. Tests run in
# a random order (-shuffle=on: none may depend on another's data); scripts/testsummary
# prints failures in full, how many tests ran, passed and were skipped, and says so loudly when
# the browser journeys were skipped for want of chromium.
test:
	@admin='$(PG_ADMIN_URL)'; [ -n "$$admin" ] || exit 1; \
	unformatted=$$(gofmt -l cmd internal migrations static templates); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi; \
	go vet ./... && \
	TEST_DATABASE_URL="$$admin" go test -json -shuffle=on -count=1 -timeout 30m ./... | go run ./scripts/testsummary

# Static analysis: gofmt, go vet, errcheck (scripts/errcheck: every unchecked error fails but a
# deferred Close of a read-only handle), staticcheck (fetched through the Go module proxy),
# govulncheck against an offline database built from the golang.org/x/vulndb module, and the
# OpenAPI document linted by Redocly (npm, pinned in tools/package-lock.json).
check: lint-openapi
	@unformatted=$$(gofmt -l cmd internal migrations static templates); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go run ./scripts/errcheck ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	scripts/vulncheck.sh

# The npm tools, installed exactly as tools/package-lock.json pins them (again when it changes).
tools: tools/node_modules/.installed
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	@touch $@

lint-openapi: tools
	tools/node_modules/.bin/redocly lint --config tools/redocly.yaml internal/app/openapi.json

# Explores every fuzz target for FUZZTIME each (make test runs only their seed corpora).
FUZZTIME ?= 15s
fuzz:
	@admin='$(PG_ADMIN_URL)'; [ -n "$$admin" ] || exit 1; \
	for target in $$(grep -ho '^func Fuzz[A-Za-z]*' internal/importer/fuzz_test.go | cut -c6-); do \
		echo "fuzzing $$target for $(FUZZTIME)"; \
		TEST_DATABASE_URL="$$admin" go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) ./internal/importer || exit 1; \
	done

db-stop:
	@d=.data/pg; [ -d $$d ] || exit 0; \
	if [ "$$(id -u)" = 0 ]; then runuser -u $$(stat -c %U $$d) -- pg_ctl -D $$d stop; else pg_ctl -D $$d stop; fi

vendor:
	scripts/vendor.sh

clean:
	rm -rf bin

# Jakarta-scale import benchmark: prints rows/s against psql \copy, flag time, peak memory, latencies.
bench-import:
	scripts/bench-import.sh

# Load test on the Jakarta-scale data: 200 requests/s, then the same during a large import.
load:
	scripts/load.sh

# The inspector's offline app: outbox sync time over a throttled phone connection, storage per case.
bench-sync:
	scripts/bench-sync.sh

# Three instances behind HAProxy on one PostgreSQL: imports under SIGKILL, restarts and a
# PostgreSQL restart, with the mixed load running through the proxy (needs haproxy).
cluster:
	scripts/cluster.sh

-- +goose Up
-- Several `patuh serve` share one database: each import step is claimed by one worker with a
-- lease it renews while it works; a lease that runs out (its instance died) is taken over.
ALTER TABLE imports
    ADD COLUMN lease_owner text,
    ADD COLUMN lease_until timestamptz,
    -- How many times the import was validated and committed to the end: once each, always.
    ADD COLUMN validations integer NOT NULL DEFAULT 0,
    ADD COLUMN commits integer NOT NULL DEFAULT 0,
    -- The instances that could not find the import's file (a data directory not shared).
    ADD COLUMN file_missing_on text[] NOT NULL DEFAULT '{}',
    -- Errors found in the file; only the first MaxStoredErrors are kept.
    ADD COLUMN errors_total integer NOT NULL DEFAULT 0;

-- The import workers alive now: one row per instance, seen at its last heartbeat.
CREATE TABLE import_workers (
    id      text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE import_workers;
ALTER TABLE imports DROP COLUMN lease_owner, DROP COLUMN lease_until, DROP COLUMN validations,
    DROP COLUMN commits, DROP COLUMN file_missing_on, DROP COLUMN errors_total;

-- +goose Up
-- How many employers an import's commit queued for flag computation, so that a reader can see
-- how far the flags of that import have come (docs/api.md: flags_progress).
ALTER TABLE imports ADD COLUMN flags_queued integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE imports DROP COLUMN flags_queued;

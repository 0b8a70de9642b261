-- +goose Up
-- Flag details as data (issue 15): the counts, programs and amounts behind a flag, which the
-- application renders in the reader's language (internal/flags/detail.go), instead of an
-- English sentence written by SQL. The old sentences are dropped and every employer is queued:
-- the worker writes the details again in its usual batches (and, with the new scale rule below,
-- the flags of employers known to BPJS only), without waiting for an import.
ALTER TABLE employer_flags ALTER COLUMN detail DROP DEFAULT;
ALTER TABLE employer_flags ALTER COLUMN detail TYPE jsonb USING '{}'::jsonb;
ALTER TABLE employer_flags ALTER COLUMN detail SET DEFAULT '{}';
INSERT INTO flag_queue SELECT id FROM employers ON CONFLICT DO NOTHING;

-- One rule for an employer whose scale is unknown (known to BPJS only): its scale is estimated
-- from its active participants by the BPS bands of workers (1-4 mikro, 5-19 kecil, 20-99
-- menengah, 100 and more besar), and the estimate decides the mandatory programs, whether
-- the UMP binds and so the contribution, like a known scale (README "Unknown scale").
-- +goose StatementBegin
CREATE FUNCTION estimated_scale(active bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN active >= 100 THEN 'besar' WHEN active >= 20 THEN 'menengah'
                WHEN active >= 5 THEN 'kecil' ELSE 'mikro' END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION estimated_scale;
ALTER TABLE employer_flags ALTER COLUMN detail DROP DEFAULT;
ALTER TABLE employer_flags ALTER COLUMN detail TYPE text USING '';
ALTER TABLE employer_flags ALTER COLUMN detail SET DEFAULT '';
INSERT INTO flag_queue SELECT id FROM employers ON CONFLICT DO NOTHING;

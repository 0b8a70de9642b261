-- +goose Up
-- Field work that is never lost (docs/api.md, Visits): a visit made on a phone carries the
-- UUID its form got when it was opened, so a re-sent visit finds the one already stored
-- instead of making a second; it names the files it expects (their SHA-256), and is
-- incomplete until every one of them has arrived; a file arrives once per visit.
ALTER TABLE visits
    ADD COLUMN client_id      uuid UNIQUE,
    ADD COLUMN file_manifest  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN gps_accuracy_m double precision CHECK (gps_accuracy_m >= 0),
    -- 'signed', 'refused' or '' (not asked, as before this migration).
    ADD COLUMN signature_state text NOT NULL DEFAULT '' CHECK (signature_state IN ('', 'signed', 'refused'));
-- The Berita Acara Pemeriksaan of the visit (PDF) with the signatures drawn on the phone (PNG),
-- kept with the visit and checksummed like the evidence.
ALTER TABLE visits
    ADD COLUMN signature_employer bytea CHECK (octet_length(signature_employer) <= 307200),
    ADD COLUMN signature_officer  bytea CHECK (octet_length(signature_officer) <= 307200),
    ADD COLUMN bap_pdf            bytea,
    ADD COLUMN bap_sha256         text;
UPDATE visits SET signature_state = 'signed' WHERE signed_by_employer;
-- Before this, the same file could be attached twice to a visit: keep the first of each.
DELETE FROM evidence_files e USING evidence_files f
WHERE e.visit_id = f.visit_id AND e.sha256 = f.sha256 AND e.id > f.id;
ALTER TABLE evidence_files ADD CONSTRAINT evidence_files_visit_sha256_key UNIQUE (visit_id, sha256);

-- +goose Down
ALTER TABLE evidence_files DROP CONSTRAINT evidence_files_visit_sha256_key;
ALTER TABLE visits DROP COLUMN signature_employer, DROP COLUMN signature_officer, DROP COLUMN bap_pdf, DROP COLUMN bap_sha256;
ALTER TABLE visits DROP COLUMN client_id, DROP COLUMN file_manifest, DROP COLUMN gps_accuracy_m, DROP COLUMN signature_state;

-- +goose Up
-- Administration of reference data in the browser (issue 12).

-- The calendar years an admin has confirmed against the government's decree (SKB 3 Menteri:
-- the moving holidays and cuti bersama). Working-day deadlines that reach into a year not
-- confirmed here are marked on the case, and admins are warned 90 days ahead.
CREATE TABLE holiday_years (
    year         integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    confirmed_at timestamptz,
    confirmed_by bigint REFERENCES users (id)
);
INSERT INTO holiday_years (year, confirmed_at) VALUES (2025, now()), (2026, now());

-- 2027's fixed-date national holidays only; the year stays unconfirmed until an admin adds the
-- moving holidays and cuti bersama of the decree and confirms it.
INSERT INTO holidays (day, name, kind) VALUES
    ('2027-01-01', 'Tahun Baru 2027 Masehi', 'libur_nasional'),
    ('2027-05-01', 'Hari Buruh Internasional', 'libur_nasional'),
    ('2027-06-01', 'Hari Lahir Pancasila', 'libur_nasional'),
    ('2027-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional'),
    ('2027-12-25', 'Hari Raya Natal', 'libur_nasional')
ON CONFLICT (day) DO NOTHING;
-- Any other year already in the calendar is listed, unconfirmed.
INSERT INTO holiday_years (year) SELECT DISTINCT extract(year FROM day)::integer FROM holidays
ON CONFLICT (year) DO NOTHING;

-- A recomputation of every employer's flags asked for by a change of reference data; its
-- progress is what is left of flag_queue, counted against employers.
CREATE TABLE flag_recomputations (
    id           bigserial PRIMARY KEY,
    reason       text NOT NULL,
    employers    integer NOT NULL,
    requested_by bigint REFERENCES users (id),
    requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- The same bytes may be uploaded again after a failed or discarded import: only live imports
-- (anything but failed and discarded) are unique per kind and content.
ALTER TABLE imports DROP CONSTRAINT imports_kind_sha256_key;
CREATE UNIQUE INDEX imports_kind_sha256_live_idx ON imports (kind, sha256)
    WHERE status NOT IN ('failed', 'discarded');
-- When the stored file of a committed import was removed after the retention period.
ALTER TABLE imports ADD COLUMN file_removed_at timestamptz;

-- The audit viewer filters by actor, action, object and period (newest first).
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP INDEX audit_log_actor_idx, audit_log_action_idx, audit_log_entity_idx, audit_log_at_idx;
ALTER TABLE imports DROP COLUMN file_removed_at;
DROP INDEX imports_kind_sha256_live_idx;
ALTER TABLE imports ADD CONSTRAINT imports_kind_sha256_key UNIQUE (kind, sha256);
DROP TABLE flag_recomputations;
DELETE FROM holidays WHERE day IN ('2027-01-01', '2027-05-01', '2027-06-01', '2027-08-17', '2027-12-25');
DROP TABLE holiday_years;

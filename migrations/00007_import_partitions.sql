-- +goose Up
-- The two large files load straight into a table of their own, which the commit attaches as a
-- partition. Inserting millions of rows into indexed tables inside the commit made it one
-- transaction of minutes (the load test saw every list slow down behind it); attaching takes
-- moments. Their CHECKs on values are gone: the importer is their only writer and checks every
-- value, and a CHECK here would have to be repeated on each partition before it is attached.

-- Rows of these two kinds waiting in staging for a commit are not carried over: their imports
-- are checked again from their stored files.
DELETE FROM import_errors WHERE import_id IN (SELECT id FROM imports
    WHERE kind IN ('workers', 'participants') AND status IN ('validating', 'needs_review', 'committing'));
UPDATE imports SET status = 'queued', rows_processed = 0, version = version + 1
WHERE kind IN ('workers', 'participants') AND status IN ('validating', 'needs_review', 'committing');

-- Every participants import is a partition: a dated snapshot of the NPPs it names. line is the
-- row's line in the file (0 for rows loaded before partitions).
ALTER TABLE participants RENAME TO participants_unpartitioned;
ALTER TABLE participants_unpartitioned RENAME CONSTRAINT participants_pkey TO participants_unpartitioned_pkey;
CREATE TABLE participants (
    import_id           bigint NOT NULL,
    line                integer NOT NULL,
    npp                 text NOT NULL,
    nik                 text NOT NULL,
    kpj                 text,
    nama                text NOT NULL,
    upah                bigint NOT NULL,
    status              text NOT NULL,
    tanggal_kepesertaan date,
    PRIMARY KEY (npp, import_id, nik)
) PARTITION BY LIST (import_id);
-- +goose StatementBegin
DO $$
DECLARE i bigint;
BEGIN
    FOR i IN SELECT DISTINCT import_id FROM participants_unpartitioned LOOP
        EXECUTE format('CREATE TABLE participants_%s PARTITION OF participants FOR VALUES IN (%s)', i, i);
    END LOOP;
END $$;
-- +goose StatementEnd
INSERT INTO participants (import_id, line, npp, nik, kpj, nama, upah, status, tanggal_kepesertaan)
SELECT import_id, 0, npp, nik, kpj, nama, upah, status, tanggal_kepesertaan FROM participants_unpartitioned;
DROP TABLE participants_unpartitioned;
DROP TABLE stage_participants;

-- A roster row lives in the partition of the workers import that last named its employer; the
-- commit removes the employer's rows from older partitions (and drops a partition left with
-- none). Rows loaded before partitions are import 0. No foreign key: the importer resolves
-- every row to an existing employer, and removes a dropped employer's roster itself.
ALTER TABLE workers RENAME TO workers_unpartitioned;
ALTER TABLE workers_unpartitioned RENAME CONSTRAINT workers_pkey TO workers_unpartitioned_pkey;
CREATE TABLE workers (
    import_id     bigint NOT NULL,
    line          integer NOT NULL,
    employer_id   bigint NOT NULL,
    nik           text NOT NULL,
    nama          text NOT NULL,
    upah          bigint NOT NULL,
    mulai_bekerja date,
    PRIMARY KEY (employer_id, nik, import_id)
) PARTITION BY LIST (import_id);
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM workers_unpartitioned) THEN
        CREATE TABLE workers_0 PARTITION OF workers FOR VALUES IN (0);
    END IF;
END $$;
-- +goose StatementEnd
INSERT INTO workers (import_id, line, employer_id, nik, nama, upah, mulai_bekerja)
SELECT 0, 0, employer_id, nik, nama, upah, mulai_bekerja FROM workers_unpartitioned;
DROP TABLE workers_unpartitioned;
DROP TABLE stage_workers;

-- The employers a validated workers file names, kept until its commit replaces their rosters.
CREATE TABLE import_employers (
    import_id   bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    employer_id bigint NOT NULL,
    PRIMARY KEY (import_id, employer_id)
);

-- When the validation read the register: a workers file checked against an older register
-- than the one in force at its commit is checked again (its rows name employers by id).
ALTER TABLE imports ADD COLUMN validated_at timestamptz;

-- Employers whose flags wait to be recomputed. A commit queues the employers it touched and
-- the worker recomputes them in batches of short transactions, so a commit stays short and
-- no transaction holds back the cleanup of dead rows for the length of all of Jakarta's flags.
CREATE TABLE flag_queue (employer_id bigint PRIMARY KEY);
-- A committed import is settled when the flags it queued are computed and the work that reads
-- them (verification of open cases) is done.
ALTER TABLE imports ADD COLUMN settled_at timestamptz;
UPDATE imports SET settled_at = committed_at WHERE status = 'committed';

-- +goose Down
ALTER TABLE imports DROP COLUMN settled_at, DROP COLUMN validated_at;
DROP TABLE flag_queue, import_employers;
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
    -- Tables of validated imports not yet attached.
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^(workers|participants)_[0-9]+$'
             AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = ('public.' || tablename)::regclass) LOOP
        EXECUTE format('DROP TABLE %I', t);
    END LOOP;
END $$;
-- +goose StatementEnd
ALTER TABLE workers RENAME TO workers_partitioned;
ALTER TABLE workers_partitioned RENAME CONSTRAINT workers_pkey TO workers_partitioned_pkey;
CREATE TABLE workers (
    employer_id   bigint NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
    nik           text NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
    nama          text NOT NULL,
    upah          bigint NOT NULL CHECK (upah >= 0),
    mulai_bekerja date,
    PRIMARY KEY (employer_id, nik)
);
INSERT INTO workers SELECT employer_id, nik, nama, upah, mulai_bekerja FROM workers_partitioned;
DROP TABLE workers_partitioned;
CREATE UNLOGGED TABLE stage_workers (
    import_id bigint NOT NULL, line integer NOT NULL,
    nib text, npwp text, nik text NOT NULL, nama text NOT NULL, upah bigint NOT NULL, mulai_bekerja date
);
CREATE INDEX stage_workers_idx ON stage_workers (import_id);

ALTER TABLE participants RENAME TO participants_partitioned;
ALTER TABLE participants_partitioned RENAME CONSTRAINT participants_pkey TO participants_partitioned_pkey;
CREATE TABLE participants (
    import_id           bigint NOT NULL,
    npp                 text NOT NULL,
    nik                 text NOT NULL,
    kpj                 text,
    nama                text NOT NULL,
    upah                bigint NOT NULL,
    status              text NOT NULL CHECK (status IN ('aktif', 'nonaktif')),
    tanggal_kepesertaan date,
    PRIMARY KEY (npp, import_id, nik)
);
INSERT INTO participants SELECT import_id, npp, nik, kpj, nama, upah, status, tanggal_kepesertaan FROM participants_partitioned;
DROP TABLE participants_partitioned;
CREATE UNLOGGED TABLE stage_participants (
    import_id bigint NOT NULL, line integer NOT NULL,
    npp text NOT NULL, nik text NOT NULL, kpj text, nama text NOT NULL, upah bigint NOT NULL,
    status text NOT NULL, tanggal_kepesertaan date
);
CREATE INDEX stage_participants_idx ON stage_participants (import_id);

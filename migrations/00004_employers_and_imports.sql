-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- An employer of the Pemprov register, or one known only from a BPJS NPP (in_register = false).
CREATE TABLE employers (
    id                  bigserial PRIMARY KEY,
    nib                 text CHECK (nib ~ '^[0-9]{13}$'),
    npwp                text CHECK (npwp ~ '^[0-9]{16}$'),  -- always the 16-digit form
    nama                text NOT NULL,
    alamat              text NOT NULL DEFAULT '',
    kode_kelurahan      text REFERENCES regions (kode),
    kbli                text NOT NULL DEFAULT '',
    skala               text CHECK (skala IN ('mikro', 'kecil', 'menengah', 'besar')),
    jumlah_pekerja      integer CHECK (jumlah_pekerja >= 0),  -- NULL: unknown (not in the register)
    in_register         boolean NOT NULL DEFAULT true,
    -- Created from a worker's complaint about an employer found nowhere else; may lack both keys.
    from_complaint      boolean NOT NULL DEFAULT false,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (nib IS NOT NULL OR npwp IS NOT NULL OR from_complaint)
);
-- The key of an employer is its NIB, else its NPWP (branches may share an NPWP, each with its NIB).
CREATE UNIQUE INDEX employers_nib_key ON employers (nib) WHERE nib IS NOT NULL;
CREATE UNIQUE INDEX employers_npwp_key ON employers (npwp) WHERE nib IS NULL;
CREATE INDEX employers_npwp_idx ON employers (npwp);
CREATE INDEX employers_nama_idx ON employers (nama, id);
CREATE INDEX employers_nama_trgm_idx ON employers USING gin (nama gin_trgm_ops);

-- What package flags computed for each employer, kept apart from the register so that the
-- recomputation after every import rewrites narrow rows without touching the name indexes.
-- kode_kelurahan and skala are copies (refreshed with the flags) so that the ranked list is
-- one index scan per filter.
CREATE TABLE employer_status (
    employer_id         bigint PRIMARY KEY REFERENCES employers (id) ON DELETE CASCADE,
    kode_kelurahan      text,
    -- Each level of the area filter is an equality on its own column, so that a ranked page of
    -- one kota or kecamatan is read in order from one index.
    kode_kecamatan      text GENERATED ALWAYS AS (left(kode_kelurahan, 8)) STORED,
    kode_kota           text GENERATED ALWAYS AS (left(kode_kelurahan, 5)) STORED,
    skala               text,
    flag_codes          text[] NOT NULL DEFAULT '{}',
    shortfall_rp        bigint NOT NULL DEFAULT 0,
    active_participants integer NOT NULL DEFAULT 0,
    roster_workers      integer NOT NULL DEFAULT 0,
    reported_workers    integer NOT NULL DEFAULT 0,
    -- Workers behind PWBD and PDS_TK: those who should be enrolled and are not.
    unenrolled_workers  integer NOT NULL DEFAULT 0,
    computed_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employer_status_shortfall_idx ON employer_status (shortfall_rp DESC, employer_id DESC);
CREATE INDEX employer_status_kota_idx ON employer_status (kode_kota, shortfall_rp DESC, employer_id DESC);
CREATE INDEX employer_status_kecamatan_idx ON employer_status (kode_kecamatan, shortfall_rp DESC, employer_id DESC);
CREATE INDEX employer_status_kelurahan_idx ON employer_status (kode_kelurahan, shortfall_rp DESC, employer_id DESC);
CREATE INDEX employer_status_flags_idx ON employer_status USING gin (flag_codes);

-- Employers per kelurahan and scale, in all and per flag: refreshed with the flags, so that the
-- counts above the list (and later dashboards) sum a few hundred rows instead of 233,826.
CREATE TABLE employer_counts (
    kode_kelurahan text NOT NULL,  -- '' for an NPP-only employer without a region
    skala          text NOT NULL,  -- '' when unknown
    employers      integer NOT NULL,
    pwbd           integer NOT NULL,
    pds_tk         integer NOT NULL,
    pds_upah       integer NOT NULL,
    pds_program    integer NOT NULL,
    menunggak      integer NOT NULL,
    reported_workers    bigint NOT NULL,
    active_participants bigint NOT NULL,
    unenrolled_workers  bigint NOT NULL,
    shortfall_rp        bigint NOT NULL,
    PRIMARY KEY (kode_kelurahan, skala)
);

-- Jakarta residents (NIK starting 31) who are active participants, refreshed with every
-- participants snapshot: the resident coverage measure, kept apart from employer compliance.
CREATE TABLE resident_coverage (
    computed_at  timestamptz NOT NULL DEFAULT now(),
    participants bigint NOT NULL
);

-- A worker on an employer's WLKP roster; a workers import replaces the roster of each employer in it.
CREATE TABLE workers (
    employer_id   bigint NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
    nik           text NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
    nama          text NOT NULL,
    upah          bigint NOT NULL CHECK (upah >= 0),
    mulai_bekerja date,
    PRIMARY KEY (employer_id, nik)
);

-- A BPJS registration (NPP), linked to an employer by NIB, else NPWP.
CREATE TABLE bpjs_employers (
    npp             text PRIMARY KEY CHECK (npp ~ '^[A-Z0-9]{8,10}$'),
    nib             text,
    npwp            text,
    nama            text NOT NULL,
    kode_kelurahan  text REFERENCES regions (kode),
    jkk             boolean NOT NULL,
    jkm             boolean NOT NULL,
    jht             boolean NOT NULL,
    jp              boolean NOT NULL,
    jkp             boolean NOT NULL,
    tunggakan_bulan integer NOT NULL DEFAULT 0 CHECK (tunggakan_bulan >= 0),
    tunggakan_rp    bigint NOT NULL DEFAULT 0 CHECK (tunggakan_rp >= 0),
    employer_id     bigint REFERENCES employers (id)
);
CREATE INDEX bpjs_employers_employer_idx ON bpjs_employers (employer_id);
CREATE INDEX bpjs_employers_nib_idx ON bpjs_employers (nib);
CREATE INDEX bpjs_employers_npwp_idx ON bpjs_employers (npwp);

CREATE TABLE imports (
    id                      bigserial PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN ('employers', 'workers', 'bpjs_employers', 'participants')),
    sha256                  text NOT NULL,
    filename                text NOT NULL,
    format                  text NOT NULL CHECK (format IN ('csv', 'xlsx')),
    size_bytes              bigint NOT NULL,
    status                  text NOT NULL DEFAULT 'queued' CHECK (status IN
                                ('queued', 'validating', 'needs_review', 'committing', 'committed', 'failed', 'discarded')),
    rows_total              integer NOT NULL DEFAULT 0,
    rows_valid              integer NOT NULL DEFAULT 0,
    rows_invalid            integer NOT NULL DEFAULT 0,
    rows_processed          integer NOT NULL DEFAULT 0,
    warnings                integer NOT NULL DEFAULT 0,
    auto_commit_max_invalid numeric CHECK (auto_commit_max_invalid BETWEEN 0 AND 1),
    failure                 text NOT NULL DEFAULT '',  -- an i18n message id
    failure_detail          text NOT NULL DEFAULT '',  -- e.g. the line that is not UTF-8
    created_by              bigint REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    committed_at            timestamptz,
    version                 integer NOT NULL DEFAULT 1,
    UNIQUE (kind, sha256)
);
CREATE INDEX imports_queue_idx ON imports (id) WHERE status IN ('queued', 'committing');

-- Row errors and warnings; message is an i18n id so each reader sees their own language.
CREATE TABLE import_errors (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line      integer NOT NULL,
    col       text NOT NULL,
    value     text NOT NULL,
    message   text NOT NULL,
    warning   boolean NOT NULL DEFAULT false
);
CREATE INDEX import_errors_idx ON import_errors (import_id, warning, line);

-- Valid rows waiting for commit. UNLOGGED: they can be rebuilt from the stored file.
CREATE UNLOGGED TABLE stage_employers (
    import_id bigint NOT NULL, line integer NOT NULL,
    nib text, npwp text, nama text NOT NULL, alamat text NOT NULL, kode_kelurahan text NOT NULL,
    kbli text NOT NULL, skala text NOT NULL, jumlah_pekerja integer NOT NULL
);
CREATE UNLOGGED TABLE stage_workers (
    import_id bigint NOT NULL, line integer NOT NULL,
    nib text, npwp text, nik text NOT NULL, nama text NOT NULL, upah bigint NOT NULL, mulai_bekerja date
);
CREATE UNLOGGED TABLE stage_bpjs_employers (
    import_id bigint NOT NULL, line integer NOT NULL,
    npp text NOT NULL, nib text, npwp text, nama text NOT NULL, kode_kelurahan text,
    jkk boolean NOT NULL, jkm boolean NOT NULL, jht boolean NOT NULL, jp boolean NOT NULL, jkp boolean NOT NULL,
    tunggakan_bulan integer NOT NULL, tunggakan_rp bigint NOT NULL
);
CREATE UNLOGGED TABLE stage_participants (
    import_id bigint NOT NULL, line integer NOT NULL,
    npp text NOT NULL, nik text NOT NULL, kpj text, nama text NOT NULL, upah bigint NOT NULL,
    status text NOT NULL, tanggal_kepesertaan date
);
CREATE INDEX stage_employers_idx ON stage_employers (import_id);
CREATE INDEX stage_workers_idx ON stage_workers (import_id);
CREATE INDEX stage_bpjs_employers_idx ON stage_bpjs_employers (import_id);
CREATE INDEX stage_participants_idx ON stage_participants (import_id);

-- Every participants import is a dated snapshot of the NPPs it names; all are kept.
CREATE TABLE participant_snapshots (
    npp       text NOT NULL,
    import_id bigint NOT NULL REFERENCES imports (id),
    taken_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (npp, import_id)
);
CREATE TABLE participants (
    import_id           bigint NOT NULL,
    npp                 text NOT NULL,
    nik                 text NOT NULL,
    kpj                 text,
    nama                text NOT NULL,
    upah                bigint NOT NULL,
    status              text NOT NULL CHECK (status IN ('aktif', 'nonaktif')),
    tanggal_kepesertaan date,
    -- No foreign key to participant_snapshots: the importer writes both in one statement
    -- sequence, and a per-row check would double the time of a 2.3-million-row snapshot.
    PRIMARY KEY (npp, import_id, nik)
);
-- The snapshot in force for each NPP.
CREATE TABLE latest_snapshots (
    npp       text PRIMARY KEY,
    import_id bigint NOT NULL
);

-- The flags raised against an employer by the last computation, with their parts.
CREATE TABLE employer_flags (
    employer_id  bigint NOT NULL REFERENCES employers (id) ON DELETE CASCADE,
    code         text NOT NULL CHECK (code IN ('PWBD', 'PDS_TK', 'PDS_UPAH', 'PDS_PROGRAM', 'MENUNGGAK')),
    workers      integer NOT NULL,
    shortfall_rp bigint NOT NULL,
    detail       text NOT NULL DEFAULT '',
    PRIMARY KEY (employer_id, code)
);

-- Programs mandatory for each scale (Perpres 109/2013 art. 6).
-- +goose StatementBegin
CREATE FUNCTION mandatory_programs(skala text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE skala
        WHEN 'besar' THEN ARRAY['JKK', 'JKM', 'JHT', 'JP']
        WHEN 'menengah' THEN ARRAY['JKK', 'JKM', 'JHT', 'JP']
        WHEN 'kecil' THEN ARRAY['JKK', 'JKM', 'JHT']
        ELSE ARRAY['JKK', 'JKM']  -- mikro, and an NPP-only employer whose scale is unknown
    END
$$;
-- +goose StatementEnd

-- The monthly contribution on a wage for the given programs; JP is levied on the capped wage.
-- +goose StatementBegin
CREATE FUNCTION contribution(wage numeric, programs text[], jkk numeric, jkm numeric, jht numeric,
                             jp numeric, jp_cap numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN 'JKK' = ANY (programs) THEN wage * jkk ELSE 0 END)
         + (CASE WHEN 'JKM' = ANY (programs) THEN wage * jkm ELSE 0 END)
         + (CASE WHEN 'JHT' = ANY (programs) THEN wage * jht ELSE 0 END)
         + (CASE WHEN 'JP' = ANY (programs) THEN least(wage, coalesce(jp_cap, wage)) * jp ELSE 0 END)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION contribution;
DROP FUNCTION mandatory_programs;
DROP TABLE resident_coverage, employer_counts, employer_status, employer_flags, latest_snapshots, participants, participant_snapshots,
    stage_participants, stage_bpjs_employers, stage_workers, stage_employers,
    import_errors, imports, bpjs_employers, workers, employers;

-- +goose Up
-- A case follows one employer from a flag (or a complaint) to a decision.
CREATE TABLE cases (
    id                 bigserial PRIMARY KEY,
    employer_id        bigint NOT NULL REFERENCES employers (id),
    status             text NOT NULL DEFAULT 'open' CHECK (status IN
                           ('open', 'assigned', 'inspected', 'follow_up', 'awaiting_closure', 'closed')),
    assignee_id        bigint REFERENCES users (id),
    -- The flags when the case opened, frozen: [{code, workers, shortfall_rp, detail}].
    flags_at_open      jsonb NOT NULL DEFAULT '[]',
    -- The NIKs behind the findings (roster workers not enrolled when the case opened, and those
    -- named in visits), against which later snapshots count recovered workers.
    target_niks        text[] NOT NULL DEFAULT '{}',
    recovered_workers  integer NOT NULL DEFAULT 0,
    source             text NOT NULL DEFAULT 'flag' CHECK (source IN ('flag', 'complaint')),
    complaint_channel  text CHECK (complaint_channel IN ('jmo', 'surat', 'datang_langsung', 'telepon', 'lainnya')),
    complaint_received date,
    complaint_text     text,
    -- Seen only by supervisors and admins.
    complainant_name    text,
    complainant_contact text,
    note               text NOT NULL DEFAULT '',
    outcome            text CHECK (outcome IN ('compliant', 'partially_compliant', 'business_closed', 'not_found', 'referred', 'duplicate')),
    closure_requested  boolean NOT NULL DEFAULT false,
    opened_by          bigint REFERENCES users (id),
    opened_at          timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    version            integer NOT NULL DEFAULT 1,
    CHECK ((status = 'closed') = (outcome IS NOT NULL))
);
-- One open case per employer.
CREATE UNIQUE INDEX cases_one_open_idx ON cases (employer_id) WHERE status <> 'closed';
CREATE INDEX cases_assignee_idx ON cases (assignee_id, status);
CREATE INDEX cases_status_idx ON cases (status, opened_at);

-- Every assignment, so a reassignment keeps its history.
CREATE TABLE case_assignments (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    assignee_id bigint NOT NULL REFERENCES users (id),
    assigned_by bigint REFERENCES users (id),
    assigned_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_assignments_case_idx ON case_assignments (case_id, assigned_at);

-- A visit record (Berita Acara Pemeriksaan). Evidence files come with the visit pages.
CREATE TABLE visits (
    id                 bigserial PRIMARY KEY,
    case_id            bigint NOT NULL REFERENCES cases (id),
    visited_on         date NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('lapangan', 'kantor', 'dokumen')),
    met_name           text NOT NULL DEFAULT '',
    met_position       text NOT NULL DEFAULT '',
    workers_found      integer CHECK (workers_found >= 0),
    -- [{code, workers, niks: [...], note}]
    findings           jsonb NOT NULL DEFAULT '[]',
    commitment         text NOT NULL DEFAULT '',
    commitment_due     date,
    lat                double precision CHECK (lat BETWEEN -90 AND 90),
    lon                double precision CHECK (lon BETWEEN -180 AND 180),
    signed_by_employer boolean NOT NULL DEFAULT false,
    note               text NOT NULL DEFAULT '',
    created_by         bigint REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visits_case_idx ON visits (case_id);

-- Photos and documents of a visit, kept in PostgreSQL with their checksum so that backups and
-- access rules cover them like the rest of the case.
CREATE TABLE evidence_files (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases (id),
    visit_id     bigint NOT NULL REFERENCES visits (id),
    filename     text NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256       text NOT NULL,
    data         bytea NOT NULL,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_files_visit_idx ON evidence_files (visit_id);

-- A follow-up of the enforcement ladder.
CREATE TABLE follow_ups (
    id                 bigserial PRIMARY KEY,
    case_id            bigint NOT NULL REFERENCES cases (id),
    kind               text NOT NULL REFERENCES follow_up_rules (kind),
    issued_on          date NOT NULL,
    due_on             date NOT NULL,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fulfilled', 'lapsed')),
    note               text NOT NULL DEFAULT '',
    out_of_order_reason text NOT NULL DEFAULT '',
    created_by         bigint REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1
);
CREATE INDEX follow_ups_case_idx ON follow_ups (case_id);
CREATE INDEX follow_ups_due_idx ON follow_ups (due_on) WHERE status = 'open';

-- The letter issued with a follow-up (teguran I/II, nota pemeriksaan I), as sent.
CREATE TABLE follow_up_letters (
    follow_up_id bigint PRIMARY KEY REFERENCES follow_ups (id),
    pdf          bytea NOT NULL,
    sha256       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE follow_up_letters, follow_ups, evidence_files, visits, case_assignments, cases;

-- +goose Up
-- Reference data: regions and KBLI are loaded by 00002 from the agencies' files.
CREATE TABLE regions (
    kode        text PRIMARY KEY,
    nama        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('kota', 'kecamatan', 'kelurahan')),
    parent_kode text NOT NULL
);
CREATE INDEX regions_parent_idx ON regions (parent_kode);

CREATE TABLE kbli (
    level                text NOT NULL CHECK (level IN ('kategori', 'golongan_pokok')),
    kode                 text NOT NULL,
    nama                 text NOT NULL,
    kategori             text NOT NULL,
    golongan_pokok_range text NOT NULL DEFAULT '',
    PRIMARY KEY (level, kode)
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username = lower(username) AND username ~ '^[a-z0-9._-]{2,64}$'),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'inspector')),
    -- A kota or kecamatan code; NULL means all of Jakarta.
    area_kode     text REFERENCES regions (kode),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    -- Bumped on password change so that every older session stops being honoured.
    session_epoch integer NOT NULL DEFAULT 1,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the token under PATUH_SECRET; the token itself is shown once and never stored.
    token_hash   bytea NOT NULL UNIQUE,
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- The table scs/postgresstore expects.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Failed and successful logins, for throttling per account and per client address.
CREATE TABLE login_attempts (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL,
    client_addr text NOT NULL,
    succeeded   boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, at);
CREATE INDEX login_attempts_addr_idx ON login_attempts (client_addr, at);

-- Dated reference data of domain.md; admins add rows, a row applies from valid_from on.
CREATE TABLE contribution_rates (
    program    text NOT NULL CHECK (program IN ('JKK', 'JKM', 'JHT', 'JP', 'JKP')),
    valid_from date NOT NULL,
    rate_pct   numeric(6, 4) NOT NULL CHECK (rate_pct >= 0),
    -- Only JP is levied on a capped wage.
    wage_cap   bigint CHECK (wage_cap > 0),
    PRIMARY KEY (program, valid_from)
);

CREATE TABLE minimum_wages (
    valid_from date PRIMARY KEY,
    amount     bigint NOT NULL CHECK (amount > 0)
);

CREATE TABLE holidays (
    day  date PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('libur_nasional', 'cuti_bersama'))
);

-- The enforcement ladder: order and deadline of each follow-up kind.
CREATE TABLE follow_up_rules (
    kind     text PRIMARY KEY,
    track    text NOT NULL CHECK (track IN ('bpjs', 'disnaker')),
    position integer NOT NULL,
    days     integer NOT NULL CHECK (days >= 0),
    day_kind text NOT NULL CHECK (day_kind IN ('working', 'calendar'))
);

CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only, hash-chained record of every change: each row's hash covers the previous row's.
CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor_id  bigint REFERENCES users (id),
    actor     text NOT NULL,
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    detail    jsonb NOT NULL DEFAULT '{}',
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
DROP TABLE settings, follow_up_rules, holidays, minimum_wages, contribution_rates,
    login_attempts, sessions, api_tokens, users, kbli, regions;

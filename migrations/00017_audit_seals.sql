-- +goose Up
-- An audit log the application cannot rewrite (issue 14; README "Database roles"):
--   * the server connects as the role patuh_app (DATABASE_URL), migrations run as the owner
--     role (DATABASE_OWNER_URL), which owns audit_log and audit_seals;
--   * patuh_app owns every other table, because the importer creates, attaches, truncates and
--     drops partitions and staging tables at run time, which only a table's owner may do;
--   * patuh_app may only SELECT and INSERT audit_log and audit_seals. A table's owner can always
--     UPDATE, DELETE and TRUNCATE it, whatever is revoked, hence the two owners.
-- Roles belong to the whole cluster: the role is created here only when missing, without
-- LOGIN (and so without a password); whoever runs Patuh turns LOGIN on (README "Database roles").
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'patuh_app') THEN
        CREATE ROLE patuh_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    -- The owner hands tables to patuh_app and alters them in later migrations: it must be a
    -- member of patuh_app (never the other way round).
    IF NOT pg_has_role(current_user, 'patuh_app', 'USAGE') THEN
        EXECUTE format('GRANT patuh_app TO %I', current_user);
    END IF;
END $$;
-- +goose StatementEnd

-- PostgreSQL 15 no longer lets every role create in public; the importer creates partitions.
GRANT USAGE, CREATE ON SCHEMA public TO patuh_app;

-- A seal is an HMAC-SHA256, keyed by PATUH_AUDIT_KEY (never stored in the database), over the
-- chain head at the time: the last row's id, the number of rows up to it and its hash. Without
-- the key nobody can seal a rewritten chain, and a seal covering more rows than the log holds
-- shows a truncation. internal/audit/seal.go writes and checks them.
CREATE TABLE audit_seals (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    last_id bigint NOT NULL,
    rows    bigint NOT NULL CHECK (rows > 0),
    head    bytea NOT NULL,
    mac     bytea NOT NULL
);
CREATE INDEX ON audit_seals (last_id);

-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

REVOKE ALL ON audit_log, audit_seals FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log, audit_seals TO patuh_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq, audit_seals_id_seq TO patuh_app;
-- /readyz checks that no migration is pending.
GRANT SELECT ON goose_db_version TO patuh_app;

-- Gives patuh_app every table, view and sequence of the schema it does not own yet, except the
-- audit tables and goose's. db.Migrate calls it after every run, so the tables of later
-- migrations and the partitions they create are handed over too. A later migration adding a
-- table the application must not rewrite names it here (CREATE OR REPLACE).
-- +goose StatementBegin
CREATE FUNCTION patuh_hand_over_to_app() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS rel, c.relkind
        FROM pg_class c
        JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'public'
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relname NOT IN ('audit_log', 'audit_seals', 'goose_db_version')
          AND c.relowner <> 'patuh_app'::regrole
          -- A serial or identity sequence follows its table.
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
    LOOP
        EXECUTE format(CASE r.relkind
                           WHEN 'v' THEN 'ALTER VIEW %s OWNER TO patuh_app'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %s OWNER TO patuh_app'
                           WHEN 'S' THEN 'ALTER SEQUENCE %s OWNER TO patuh_app'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE %s OWNER TO patuh_app'
                           ELSE 'ALTER TABLE %s OWNER TO patuh_app' END, r.rel);
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;
-- +goose StatementEnd
SELECT patuh_hand_over_to_app();

-- +goose Down
-- The role stays: it belongs to the cluster, and other databases may use it.
REASSIGN OWNED BY patuh_app TO CURRENT_USER;
DROP FUNCTION patuh_hand_over_to_app;
REVOKE ALL ON goose_db_version FROM patuh_app;
REVOKE ALL ON audit_log, audit_log_id_seq FROM patuh_app;
DROP TABLE audit_seals;
DROP FUNCTION audit_append_only;
REVOKE ALL ON SCHEMA public FROM patuh_app;

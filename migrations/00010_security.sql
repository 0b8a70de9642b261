-- +goose Up
-- Throttling counters shared by every instance (ASVS V6.3): one row per key ("user:<name>",
-- "addr:<ip>", "totp:<user id>"), checked and incremented in one statement, so that parallel
-- guesses queue on the row lock and at most the limit of them is ever checked.
CREATE TABLE auth_throttle (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL
);

-- Second factor (TOTP, RFC 6238). The secret is needed in clear to compute codes; it is
-- encrypted (AES-GCM under a key derived from PATUH_SECRET) so a dump of the database alone
-- cannot produce codes. mfa_last_step is the last time step accepted: a code of that step or
-- an earlier one is refused, so a code cannot be used twice within its window.
ALTER TABLE users
    ADD COLUMN mfa_secret_enc   bytea,
    ADD COLUMN mfa_enabled_at   timestamptz,
    ADD COLUMN mfa_last_step    bigint NOT NULL DEFAULT 0,
    ADD COLUMN mfa_optional_off boolean NOT NULL DEFAULT false;

-- One-time recovery codes, stored as HMAC-SHA256 under PATUH_SECRET.
CREATE TABLE mfa_recovery_codes (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- +goose Down
DROP TABLE mfa_recovery_codes;
ALTER TABLE users DROP COLUMN mfa_secret_enc, DROP COLUMN mfa_enabled_at, DROP COLUMN mfa_last_step,
    DROP COLUMN mfa_optional_off;
DROP TABLE auth_throttle;

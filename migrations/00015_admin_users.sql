-- +goose Up
-- Administration in the browser (issue 12) and tokens that end (issue 14, ASVS V7/V8):
-- every API token has an expiry, set by the application from PATUH_TOKEN_TTL (default 90 days);
-- the column default gives the tokens already issued 90 days from this migration.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '90 days';
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- A password set by an admin (a new user, or a reset) is temporary: the user must choose their
-- own at first login before any other page opens.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;
DROP INDEX api_tokens_user_idx;
ALTER TABLE api_tokens DROP COLUMN expires_at;

-- +goose Up
-- The phone sends a visit's photos one by one before the visit itself (each checked by content
-- as it arrives, each answered by its SHA-256, so a re-sent photo costs nothing and a refused one
-- is named before any visit exists); the visit then takes them, in its own transaction.
CREATE TABLE visit_uploads (
    client_id  uuid NOT NULL,
    sha256     text NOT NULL,
    case_id    bigint NOT NULL REFERENCES cases (id),
    filename   text NOT NULL,
    data       bytea NOT NULL,
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, sha256)
);

-- +goose Down
DROP TABLE visit_uploads;

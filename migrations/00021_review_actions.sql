-- +goose Up
-- Issue 16, casework half.
-- Closing a case ends the follow-ups still running: they are kept, marked cancelled, with the
-- time they ended (a closed case has no live "dipenuhi / tidak dipenuhi").
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_status_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_status_check
    CHECK (status IN ('open', 'fulfilled', 'lapsed', 'cancelled'));
ALTER TABLE follow_ups ADD COLUMN ended_at timestamptz;

-- A letter is signed by a person: their position (jabatan) and NIP (18 digits for a civil
-- servant; free text, since BPJS staff carry an employee number instead).
ALTER TABLE users ADD COLUMN position text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN nip text NOT NULL DEFAULT '';

-- Letter numbers: an admin sets the format (internal/letters/number.go names its placeholders);
-- the sequence runs per issuing office and year and is taken under a row lock, so two letters
-- issued at once never share a number.
CREATE TABLE letter_sequences (
    office text    NOT NULL,
    year   integer NOT NULL,
    last   integer NOT NULL CHECK (last > 0),
    PRIMARY KEY (office, year)
);
ALTER TABLE follow_up_letters ADD COLUMN number text;
CREATE UNIQUE INDEX follow_up_letters_number_idx ON follow_up_letters (number);

INSERT INTO settings (key, value) VALUES
    ('letter_number_format', '{seq}/{kind}/{office}/{month}/{year}'),
    ('letter_office_bpjs', 'BPJSTK-DKI'),
    ('letter_office_disnaker', 'DISNAKERTRANSGI')
ON CONFLICT (key) DO NOTHING;

-- +goose Down
DELETE FROM settings WHERE key IN ('letter_number_format', 'letter_office_bpjs', 'letter_office_disnaker');
DROP INDEX follow_up_letters_number_idx;
ALTER TABLE follow_up_letters DROP COLUMN number;
DROP TABLE letter_sequences;
ALTER TABLE users DROP COLUMN nip;
ALTER TABLE users DROP COLUMN position;
ALTER TABLE follow_ups DROP COLUMN ended_at;
UPDATE follow_ups SET status = 'lapsed' WHERE status = 'cancelled';
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_status_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_status_check CHECK (status IN ('open', 'fulfilled', 'lapsed'));

-- +goose Up
-- Every visit, follow-up and assignment bumps its case's version. With full pages each new row
-- version went to another page with new index entries, and without a vacuum the table grew
-- tenfold under `make load` (every case list and dashboard figure scans it). Room on the page
-- keeps the new version beside the old one (a HOT update), pruned without a vacuum.
ALTER TABLE cases SET (fillfactor = 70);
ALTER TABLE follow_ups SET (fillfactor = 80);

-- +goose Down
ALTER TABLE cases RESET (fillfactor);
ALTER TABLE follow_ups RESET (fillfactor);

-- +goose Up
-- The target over time (issue 16): every participants snapshot, once settled, keeps what the
-- dashboard showed then, so that the series and its projection to 31 December need no replay
-- of old snapshots. Written by dashboard.RecordSnapshot (an importer settle hook).
CREATE TABLE snapshot_history (
    import_id           bigint PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    -- When the snapshot's file arrived: the date its figures are "data per".
    snapshot_at         timestamptz NOT NULL,
    residents           bigint NOT NULL,  -- distinct active Jakarta NIKs (resident coverage)
    employers           bigint NOT NULL,
    compliant_employers bigint NOT NULL,  -- employers without any flag
    flagged_employers   bigint NOT NULL,
    reported_workers    bigint NOT NULL,
    active_participants bigint NOT NULL,
    unenrolled_workers  bigint NOT NULL,
    shortfall_rp        bigint NOT NULL
);
CREATE INDEX snapshot_history_at_idx ON snapshot_history (snapshot_at);

-- The monthly report for the MoU steering meeting, kept as the PDF that was handed out. The
-- server writes one of its own (generated_by NULL) for each past month, once however many
-- instances run: the partial unique index makes a second insert a no-op. People may generate
-- more (on demand), each kept with who asked.
CREATE TABLE monthly_reports (
    id           bigserial PRIMARY KEY,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    area_kode    text NOT NULL DEFAULT '',  -- '' for all of Jakarta, else the asker's area
    generated_at timestamptz NOT NULL DEFAULT now(),
    generated_by bigint REFERENCES users (id),
    data_per     timestamptz,               -- the latest snapshot the report read
    pdf          bytea NOT NULL
);
CREATE UNIQUE INDEX monthly_reports_scheduled_idx ON monthly_reports (month) WHERE generated_by IS NULL;
CREATE INDEX monthly_reports_month_idx ON monthly_reports (month DESC, id DESC);

-- The choropleth's "flagged share" needs employers with any flag, which no per-flag count
-- gives (one employer may carry several): counted with the others (flags.sql refresh-counts).
ALTER TABLE employer_counts ADD COLUMN flagged integer NOT NULL DEFAULT 0;
UPDATE employer_counts k SET flagged = s.n
FROM (SELECT coalesce(kode_kelurahan, '') AS kel, coalesce(skala, '') AS sk,
             count(*) FILTER (WHERE cardinality(flag_codes) > 0) AS n
      FROM employer_status GROUP BY 1, 2) s
WHERE s.kel = k.kode_kelurahan AND s.sk = k.skala;

-- An installation upgraded with data keeps its latest snapshot as the first point of the series
-- (its resident count and today's totals), so that the dashboard is dated at once.
INSERT INTO snapshot_history (import_id, snapshot_at, residents, employers, compliant_employers, flagged_employers,
                              reported_workers, active_participants, unenrolled_workers, shortfall_rp)
SELECT i.id, i.created_at, rc.participants, k.employers, k.employers - k.flagged, k.flagged, k.reported_workers,
       k.active_participants, k.unenrolled_workers, k.shortfall_rp
FROM (SELECT id, created_at FROM imports WHERE kind = 'participants' AND settled_at IS NOT NULL ORDER BY id DESC LIMIT 1) i,
     (SELECT participants FROM resident_coverage ORDER BY computed_at DESC LIMIT 1) rc,
     (SELECT coalesce(sum(employers), 0) AS employers, coalesce(sum(flagged), 0) AS flagged,
             coalesce(sum(reported_workers), 0) AS reported_workers, coalesce(sum(active_participants), 0) AS active_participants,
             coalesce(sum(unenrolled_workers), 0) AS unenrolled_workers, coalesce(sum(shortfall_rp), 0) AS shortfall_rp
      FROM employer_counts) k;

-- +goose Down
ALTER TABLE employer_counts DROP COLUMN flagged;
DROP TABLE monthly_reports, snapshot_history;

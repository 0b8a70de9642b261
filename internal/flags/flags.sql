-- name: rates
-- The rates, JP cap and UMP in force on $1, and the arrears threshold.
SELECT
  (SELECT rate_pct / 100 FROM contribution_rates WHERE program = 'JKK' AND valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS jkk,
  (SELECT rate_pct / 100 FROM contribution_rates WHERE program = 'JKM' AND valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS jkm,
  (SELECT rate_pct / 100 FROM contribution_rates WHERE program = 'JHT' AND valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS jht,
  (SELECT rate_pct / 100 FROM contribution_rates WHERE program = 'JP' AND valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS jp,
  (SELECT wage_cap FROM contribution_rates WHERE program = 'JP' AND valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS jp_cap,
  (SELECT amount FROM minimum_wages WHERE valid_from <= $1 ORDER BY valid_from DESC LIMIT 1) AS ump,
  coalesce((SELECT value::int FROM settings WHERE key = 'menunggak_min_months'), 1) AS menunggak_min_months;

-- name: load-rates
CREATE TEMP TABLE flag_rates ON COMMIT DROP AS
SELECT $1::numeric AS jkk, $2::numeric AS jkm, $3::numeric AS jht, $4::numeric AS jp, $5::numeric AS jp_cap,
       $6::numeric AS ump, $7::int AS menunggak_min_months;

-- name: active
-- The distinct NIKs active in the latest snapshot of any of an employer's NPPs, at the highest
-- wage reported for them. {in_force} is the list of snapshots in force (import ids, written in
-- by Recompute): spelled out, it lets the planner leave out the partitions of older snapshots,
-- which a join on latest_snapshots alone cannot (every kept snapshot would be scanned).
CREATE TEMP TABLE flag_active ON COMMIT DROP AS
SELECT b.employer_id, p.nik, max(p.upah) AS upah
FROM flag_targets t
JOIN bpjs_employers b ON b.employer_id = t.id
JOIN latest_snapshots l ON l.npp = b.npp
JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.import_id IN ({in_force}) AND p.status = 'aktif'
GROUP BY b.employer_id, p.nik;

-- name: index-active
CREATE INDEX ON flag_active (employer_id, nik);
ANALYZE flag_active;

-- name: facts
-- One row per target: what the rules need to know about the employer. scale is the register's,
-- or for an employer known to BPJS only the one estimated from its active participants
-- (estimated_scale, migration 00019); every rule reads scale, never skala. scale_note is added
-- to each flag's detail so that the reader sees the scale was estimated.
CREATE TEMP TABLE flag_facts ON COMMIT DROP AS
SELECT x.*, mandatory_programs(x.scale) AS mandatory,
       CASE WHEN x.skala IS NULL THEN jsonb_build_object('estimated_skala', x.scale, 'active', x.active)
            ELSE '{}'::jsonb END AS scale_note
FROM (
SELECT e.id, e.skala, coalesce(e.skala, estimated_scale(coalesce(a.n, 0))) AS scale, e.kode_kelurahan, e.jumlah_pekerja,
       coalesce(n.npps, 0) AS npps, coalesce(n.programs, '{}') AS programs,
       coalesce(n.max_months, 0) AS max_months, coalesce(n.arrears_rp, 0) AS arrears_rp,
       coalesce(w.n, 0) AS roster, coalesce(a.n, 0) AS active
FROM flag_targets t
JOIN employers e ON e.id = t.id
LEFT JOIN (
    SELECT employer_id, count(*) AS npps,
           array_remove(ARRAY[CASE WHEN bool_or(jkk) THEN 'JKK' END, CASE WHEN bool_or(jkm) THEN 'JKM' END,
                              CASE WHEN bool_or(jht) THEN 'JHT' END, CASE WHEN bool_or(jp) THEN 'JP' END], NULL) AS programs,
           max(tunggakan_bulan) AS max_months, sum(tunggakan_rp) AS arrears_rp
    FROM bpjs_employers WHERE employer_id IN (SELECT id FROM flag_targets) GROUP BY employer_id
) n ON n.employer_id = e.id
LEFT JOIN (
    SELECT employer_id, count(*) AS n FROM workers WHERE employer_id IN (SELECT id FROM flag_targets) GROUP BY employer_id
) w ON w.employer_id = e.id
LEFT JOIN (SELECT employer_id, count(*) AS n FROM flag_active GROUP BY employer_id) a ON a.employer_id = e.id
) x;

-- name: index-facts
CREATE UNIQUE INDEX ON flag_facts (id);
ANALYZE flag_facts;

-- name: clear
-- The rules below write the targets' flags here; apply then changes only what differs.
CREATE TEMP TABLE flag_new ON COMMIT DROP AS
SELECT employer_id, code, workers, shortfall_rp, detail FROM employer_flags WITH NO DATA;
ALTER TABLE flag_new ADD PRIMARY KEY (employer_id, code);

-- name: pwbd
-- Workers but no NPP: the reported workforce or the roster, whichever is larger, at the UMP.
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'PWBD', w.n, floor(w.n * contribution(r.ump, f.mandatory, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap)),
       jsonb_build_object('reported', coalesce(f.jumlah_pekerja, 0), 'roster', f.roster) || f.scale_note
FROM flag_facts f, flag_rates r, LATERAL (SELECT greatest(coalesce(f.jumlah_pekerja, 0), f.roster) AS n) w
WHERE f.npps = 0 AND w.n >= 1;

-- name: pds-tk-roster
-- Roster workers who are not active participants, at their roster wage.
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'PDS_TK', count(*), floor(sum(contribution(w.upah, f.mandatory, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap))),
       jsonb_build_object('unenrolled', count(*), 'roster', f.roster) || f.scale_note
FROM flag_facts f
CROSS JOIN flag_rates r
JOIN workers w ON w.employer_id = f.id
WHERE f.npps > 0 AND f.roster > 0
  AND NOT EXISTS (SELECT 1 FROM flag_active a WHERE a.employer_id = f.id AND a.nik = w.nik)
GROUP BY f.id, f.roster, f.scale_note;

-- name: pds-tk-reported
-- Without a roster: reported workforce minus active participants, at the UMP.
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'PDS_TK', f.jumlah_pekerja - f.active,
       floor((f.jumlah_pekerja - f.active) * contribution(r.ump, f.mandatory, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap)),
       jsonb_build_object('reported', f.jumlah_pekerja, 'active', f.active) || f.scale_note
FROM flag_facts f, flag_rates r
WHERE f.npps > 0 AND f.roster = 0 AND f.jumlah_pekerja - f.active > 0;

-- name: pds-upah
-- Active participants reported below their roster wage, or (not on the roster) below the UMP
-- where the UMP binds: not for mikro and kecil (known or estimated).
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'PDS_UPAH', count(*),
       floor(sum(contribution(p.paid, f.mandatory, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap)
               - contribution(a.upah, f.mandatory, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap))),
       jsonb_build_object('underreported', count(*)) || f.scale_note
FROM flag_facts f
CROSS JOIN flag_rates r
JOIN flag_active a ON a.employer_id = f.id
LEFT JOIN workers w ON w.employer_id = f.id AND w.nik = a.nik
CROSS JOIN LATERAL (SELECT CASE WHEN w.nik IS NOT NULL THEN w.upah
                                WHEN f.scale NOT IN ('mikro', 'kecil') THEN r.ump END AS paid) p
WHERE f.npps > 0 AND p.paid > a.upah
GROUP BY f.id, f.scale_note;

-- name: pds-program
-- Programs mandatory for the scale that none of the NPPs has, on every active participant's wage.
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'PDS_PROGRAM', f.active,
       floor(coalesce((SELECT sum(contribution(a.upah, m.missing, r.jkk, r.jkm, r.jht, r.jp, r.jp_cap))
                       FROM flag_active a WHERE a.employer_id = f.id), 0)),
       jsonb_build_object('missing', to_jsonb(m.missing)) || f.scale_note
FROM flag_facts f
CROSS JOIN flag_rates r
CROSS JOIN LATERAL (SELECT ARRAY(SELECT p FROM unnest(f.mandatory) p WHERE NOT p = ANY (f.programs)) AS missing) m
WHERE f.npps > 0 AND cardinality(m.missing) > 0;

-- name: menunggak
-- Arrears: the monthly amount is the arrears divided by the months.
INSERT INTO flag_new (employer_id, code, workers, shortfall_rp, detail)
SELECT f.id, 'MENUNGGAK', 0, floor(f.arrears_rp::numeric / f.max_months),
       jsonb_build_object('months', f.max_months, 'arrears_rp', f.arrears_rp)
FROM flag_facts f, flag_rates r
WHERE f.npps > 0 AND f.max_months >= r.menunggak_min_months AND f.max_months > 0;

-- name: apply
-- Only what changed is written. A new snapshot mostly repeats the last one, and every flag
-- rewritten is a dead row, and work for everyone reading a list while the import's long
-- transaction is open (deleting and reinserting all of Jakarta's flags made each list query
-- step over a second version of every row).
DELETE FROM employer_flags ef
WHERE ef.employer_id IN (SELECT id FROM flag_targets)
  AND NOT EXISTS (SELECT 1 FROM flag_new n WHERE n.employer_id = ef.employer_id AND n.code = ef.code);
INSERT INTO employer_flags AS ef (employer_id, code, workers, shortfall_rp, detail)
SELECT employer_id, code, workers, shortfall_rp, detail FROM flag_new
ON CONFLICT (employer_id, code) DO UPDATE SET
    workers = excluded.workers, shortfall_rp = excluded.shortfall_rp, detail = excluded.detail
WHERE (ef.workers, ef.shortfall_rp, ef.detail) IS DISTINCT FROM (excluded.workers, excluded.shortfall_rp, excluded.detail);

-- name: summarise
-- The status row carries the flag codes (in the spec's order) and the total, for fast lists;
-- rows that did not change are not rewritten.
INSERT INTO employer_status AS st (employer_id, kode_kelurahan, skala, flag_codes, shortfall_rp,
                                   active_participants, roster_workers, reported_workers, unenrolled_workers, computed_at)
SELECT f.id, f.kode_kelurahan, f.skala, coalesce(s.codes, '{}'), coalesce(s.total, 0), f.active, f.roster,
       coalesce(f.jumlah_pekerja, 0), coalesce(s.unenrolled, 0), now()
FROM flag_facts f
LEFT JOIN (
    SELECT employer_id,
           array_agg(code ORDER BY array_position(ARRAY['PWBD', 'PDS_TK', 'PDS_UPAH', 'PDS_PROGRAM', 'MENUNGGAK'], code)) AS codes,
           sum(shortfall_rp) AS total,
           sum(workers) FILTER (WHERE code IN ('PWBD', 'PDS_TK')) AS unenrolled
    FROM employer_flags WHERE employer_id IN (SELECT id FROM flag_targets) GROUP BY employer_id
) s ON s.employer_id = f.id
ON CONFLICT (employer_id) DO UPDATE SET
    kode_kelurahan = excluded.kode_kelurahan, skala = excluded.skala, flag_codes = excluded.flag_codes,
    shortfall_rp = excluded.shortfall_rp, active_participants = excluded.active_participants,
    roster_workers = excluded.roster_workers, reported_workers = excluded.reported_workers,
    unenrolled_workers = excluded.unenrolled_workers, computed_at = excluded.computed_at
WHERE (st.kode_kelurahan, st.skala, st.flag_codes, st.shortfall_rp, st.active_participants, st.roster_workers,
       st.reported_workers, st.unenrolled_workers)
      IS DISTINCT FROM (excluded.kode_kelurahan, excluded.skala, excluded.flag_codes, excluded.shortfall_rp,
                        excluded.active_participants, excluded.roster_workers, excluded.reported_workers,
                        excluded.unenrolled_workers);
ANALYZE employer_status;

-- name: refresh-counts
DELETE FROM employer_counts;
INSERT INTO employer_counts
SELECT coalesce(kode_kelurahan, ''), coalesce(skala, ''), count(*),
       count(*) FILTER (WHERE 'PWBD' = ANY (flag_codes)), count(*) FILTER (WHERE 'PDS_TK' = ANY (flag_codes)),
       count(*) FILTER (WHERE 'PDS_UPAH' = ANY (flag_codes)), count(*) FILTER (WHERE 'PDS_PROGRAM' = ANY (flag_codes)),
       count(*) FILTER (WHERE 'MENUNGGAK' = ANY (flag_codes)),
       sum(reported_workers), sum(active_participants), sum(unenrolled_workers), sum(shortfall_rp),
       count(*) FILTER (WHERE cardinality(flag_codes) > 0)  -- flagged (migration 00020)
FROM employer_status GROUP BY 1, 2;

-- name: unenrolled
-- The evidence behind PDS_TK with a roster: roster workers of employer $1 who are not active
-- participants of any of its NPPs. The same rule as pds-tk-roster, for one employer.
SELECT w.nik, w.nama, w.upah
FROM workers w
WHERE w.employer_id = $1
  AND EXISTS (SELECT 1 FROM bpjs_employers b WHERE b.employer_id = $1)
  AND NOT EXISTS (
      SELECT 1 FROM bpjs_employers b
      JOIN latest_snapshots l ON l.npp = b.npp
      JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id
      WHERE b.employer_id = $1 AND p.status = 'aktif' AND p.nik = w.nik)
ORDER BY w.upah DESC, w.nik;

-- name: underreported
-- The evidence behind PDS_UPAH: active participants of employer $1 reported below the roster
-- wage, or below the UMP in force on $2 where it binds. The same rule as pds-upah, with the
-- same scale: the register's, else the one estimated from the active participants.
WITH a AS (
    SELECT p.nik, max(p.upah) AS upah, min(p.nama) AS nama
    FROM bpjs_employers b
    JOIN latest_snapshots l ON l.npp = b.npp
    JOIN participants p ON p.npp = l.npp AND p.import_id = l.import_id AND p.status = 'aktif'
    WHERE b.employer_id = $1
    GROUP BY p.nik
)
SELECT a.nik, coalesce(w.nama, a.nama) AS nama, x.paid AS upah_paid, a.upah AS upah_reported
FROM a
JOIN employers e ON e.id = $1
LEFT JOIN workers w ON w.employer_id = $1 AND w.nik = a.nik
CROSS JOIN LATERAL (
    SELECT CASE WHEN w.nik IS NOT NULL THEN w.upah
                WHEN coalesce(e.skala, estimated_scale((SELECT count(*) FROM a))) NOT IN ('mikro', 'kecil')
                THEN (SELECT amount FROM minimum_wages WHERE valid_from <= $2 ORDER BY valid_from DESC LIMIT 1)
           END AS paid) x
WHERE x.paid > a.upah
ORDER BY x.paid - a.upah DESC, a.nik;

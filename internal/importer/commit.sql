-- name: lock
-- One commit at a time: commits relink NPPs across the whole register.
SELECT pg_advisory_xact_lock(74209);

-- name: key-maps
-- How a nib or npwp names an employer: by NIB, else by NPWP, preferring the register's employer.
DROP TABLE IF EXISTS npwp_owner;
CREATE TEMP TABLE npwp_owner ON COMMIT DROP AS
SELECT DISTINCT ON (npwp) npwp, id FROM employers WHERE npwp IS NOT NULL ORDER BY npwp, in_register DESC, id;
CREATE UNIQUE INDEX ON npwp_owner (npwp);
ANALYZE npwp_owner;

-- name: employers-by-nib
WITH src AS (
    SELECT DISTINCT ON (nib) * FROM stage_employers WHERE import_id = $1 AND nib IS NOT NULL ORDER BY nib, line DESC
), up AS (
    INSERT INTO employers (nib, npwp, nama, alamat, kode_kelurahan, kbli, skala, jumlah_pekerja, in_register)
    SELECT nib, npwp, nama, alamat, kode_kelurahan, kbli, skala, jumlah_pekerja, true FROM src
    ON CONFLICT (nib) WHERE nib IS NOT NULL DO UPDATE SET
        npwp = excluded.npwp, nama = excluded.nama, alamat = excluded.alamat, kode_kelurahan = excluded.kode_kelurahan,
        kbli = excluded.kbli, skala = excluded.skala, jumlah_pekerja = excluded.jumlah_pekerja, in_register = true,
        version = employers.version + 1, updated_at = now()
    -- A register re-sent unchanged rewrites nothing.
    WHERE (employers.npwp, employers.nama, employers.alamat, employers.kode_kelurahan, employers.kbli, employers.skala,
           employers.jumlah_pekerja, employers.in_register)
          IS DISTINCT FROM (excluded.npwp, excluded.nama, excluded.alamat, excluded.kode_kelurahan, excluded.kbli,
           excluded.skala, excluded.jumlah_pekerja, true)
    RETURNING id
)
INSERT INTO flag_targets SELECT id FROM up ON CONFLICT DO NOTHING;

-- name: employers-by-npwp
WITH src AS (
    SELECT DISTINCT ON (npwp) * FROM stage_employers WHERE import_id = $1 AND nib IS NULL ORDER BY npwp, line DESC
), up AS (
    INSERT INTO employers (nib, npwp, nama, alamat, kode_kelurahan, kbli, skala, jumlah_pekerja, in_register)
    SELECT NULL, npwp, nama, alamat, kode_kelurahan, kbli, skala, jumlah_pekerja, true FROM src
    ON CONFLICT (npwp) WHERE nib IS NULL DO UPDATE SET
        nama = excluded.nama, alamat = excluded.alamat, kode_kelurahan = excluded.kode_kelurahan,
        kbli = excluded.kbli, skala = excluded.skala, jumlah_pekerja = excluded.jumlah_pekerja, in_register = true,
        version = employers.version + 1, updated_at = now()
    WHERE (employers.nama, employers.alamat, employers.kode_kelurahan, employers.kbli, employers.skala,
           employers.jumlah_pekerja, employers.in_register)
          IS DISTINCT FROM (excluded.nama, excluded.alamat, excluded.kode_kelurahan, excluded.kbli, excluded.skala,
           excluded.jumlah_pekerja, true)
    RETURNING id
)
INSERT INTO flag_targets SELECT id FROM up ON CONFLICT DO NOTHING;

-- name: bpjs-upsert
WITH before AS (
    INSERT INTO flag_targets
    SELECT DISTINCT b.employer_id FROM bpjs_employers b JOIN stage_bpjs_employers s ON s.npp = b.npp
    WHERE s.import_id = $1 AND b.employer_id IS NOT NULL
    ON CONFLICT DO NOTHING
)
INSERT INTO bpjs_employers (npp, nib, npwp, nama, kode_kelurahan, jkk, jkm, jht, jp, jkp, tunggakan_bulan, tunggakan_rp)
SELECT DISTINCT ON (npp) npp, nib, npwp, nama, kode_kelurahan, jkk, jkm, jht, jp, jkp, tunggakan_bulan, tunggakan_rp
FROM stage_bpjs_employers WHERE import_id = $1 ORDER BY npp, line DESC
ON CONFLICT (npp) DO UPDATE SET
    nib = excluded.nib, npwp = excluded.npwp, nama = excluded.nama, kode_kelurahan = excluded.kode_kelurahan,
    jkk = excluded.jkk, jkm = excluded.jkm, jht = excluded.jht, jp = excluded.jp, jkp = excluded.jkp,
    tunggakan_bulan = excluded.tunggakan_bulan, tunggakan_rp = excluded.tunggakan_rp;

-- name: bpjs-targets
-- The employers of the NPPs in this file are recomputed too.
INSERT INTO flag_targets
SELECT DISTINCT b.employer_id FROM bpjs_employers b JOIN stage_bpjs_employers s ON s.npp = b.npp
WHERE s.import_id = $1 AND b.employer_id IS NOT NULL
ON CONFLICT DO NOTHING;

-- name: relink
-- Links every NPP to its employer (by NIB, else NPWP); both the old and the new employer of a
-- changed link are recomputed.
WITH m AS (
    SELECT b.npp, b.employer_id AS old_id, coalesce(en.id, o.id) AS new_id
    FROM bpjs_employers b
    LEFT JOIN employers en ON b.nib IS NOT NULL AND en.nib = b.nib
    LEFT JOIN npwp_owner o ON b.npwp IS NOT NULL AND o.npwp = b.npwp
), changed AS (
    UPDATE bpjs_employers b SET employer_id = m.new_id FROM m
    WHERE b.npp = m.npp AND b.employer_id IS DISTINCT FROM m.new_id
    RETURNING m.old_id, m.new_id
)
INSERT INTO flag_targets
SELECT id FROM (SELECT old_id AS id FROM changed UNION SELECT new_id FROM changed) c WHERE id IS NOT NULL
ON CONFLICT DO NOTHING;

-- name: npp-only-employers
-- An NPP that links to no employer becomes an employer of its own, absent from the register.
INSERT INTO employers (nib, npwp, nama, kode_kelurahan, in_register)
SELECT DISTINCT ON (coalesce(nib, npwp)) nib, npwp, nama, kode_kelurahan, false
FROM bpjs_employers WHERE employer_id IS NULL
ORDER BY coalesce(nib, npwp), npp
ON CONFLICT DO NOTHING;

-- name: analyze-register
ANALYZE employers;
ANALYZE bpjs_employers;

-- name: drop-orphans
-- An NPP-only employer whose NPPs now link elsewhere has nothing left to say, unless a case
-- (or the complaint that created it) still speaks of it. A roster may name it; it goes too.
WITH gone AS (
    DELETE FROM employers e
    WHERE NOT e.in_register AND NOT e.from_complaint
      AND NOT EXISTS (SELECT 1 FROM bpjs_employers b WHERE b.employer_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id)
    RETURNING id
)
DELETE FROM workers WHERE employer_id IN (SELECT id FROM gone);
DELETE FROM flag_targets t WHERE NOT EXISTS (SELECT 1 FROM employers e WHERE e.id = t.id);

-- name: register-changed
-- Whether an employers or BPJS file was committed after workers import $1 read the register.
SELECT EXISTS (
    SELECT 1 FROM imports i, imports w
    WHERE w.id = $1 AND i.kind IN ('employers', 'bpjs_employers') AND i.status = 'committed' AND i.committed_at >= w.validated_at
);

-- name: participants-snapshot
-- The file's rows are the attached partition of import $1: a full snapshot of every NPP in
-- it; earlier snapshots are kept. The employers of its NPPs are recomputed. (Separate statements,
-- not one with data-modifying CTEs, which would run without parallel workers.)
INSERT INTO participant_snapshots (npp, import_id) SELECT DISTINCT npp, $1::bigint FROM participants WHERE import_id = $1;
INSERT INTO latest_snapshots (npp, import_id) SELECT npp, import_id FROM participant_snapshots WHERE import_id = $1
ON CONFLICT (npp) DO UPDATE SET import_id = excluded.import_id;
ANALYZE latest_snapshots;
INSERT INTO flag_targets
SELECT DISTINCT b.employer_id FROM bpjs_employers b JOIN latest_snapshots l ON l.npp = b.npp
WHERE l.import_id = $1 AND b.employer_id IS NOT NULL
ON CONFLICT DO NOTHING;

-- +goose Up
-- Contribution rates of domain.md (PP 44/2015, PP 45/2015, PP 46/2015); JKK at the lowest risk group.
-- The JP wage cap is adjusted each March by BPJS Ketenagakerjaan.
INSERT INTO contribution_rates (program, valid_from, rate_pct, wage_cap) VALUES
    ('JKK', '2015-07-01', 0.24, NULL),
    ('JKM', '2015-07-01', 0.30, NULL),
    ('JHT', '2015-07-01', 5.70, NULL),
    ('JP',  '2024-03-01', 3.00, 10042300),
    ('JP',  '2025-03-01', 3.00, 10547400);

-- Upah Minimum Provinsi DKI Jakarta.
INSERT INTO minimum_wages (valid_from, amount) VALUES
    ('2025-01-01', 5396761),
    ('2026-01-01', 5729876);

-- National holidays and cuti bersama (SKB 3 Menteri) for 2025 and 2026; admins add later years.
INSERT INTO holidays (day, name, kind) VALUES
    ('2025-01-01', 'Tahun Baru 2025 Masehi', 'libur_nasional'),
    ('2025-01-27', 'Isra Mikraj Nabi Muhammad SAW', 'libur_nasional'),
    ('2025-01-28', 'Cuti bersama Tahun Baru Imlek', 'cuti_bersama'),
    ('2025-01-29', 'Tahun Baru Imlek 2576 Kongzili', 'libur_nasional'),
    ('2025-03-28', 'Cuti bersama Hari Suci Nyepi', 'cuti_bersama'),
    ('2025-03-29', 'Hari Suci Nyepi Tahun Baru Saka 1947', 'libur_nasional'),
    ('2025-03-31', 'Idul Fitri 1446 H', 'libur_nasional'),
    ('2025-04-01', 'Idul Fitri 1446 H', 'libur_nasional'),
    ('2025-04-02', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2025-04-03', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2025-04-04', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2025-04-07', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2025-04-18', 'Wafat Yesus Kristus', 'libur_nasional'),
    ('2025-04-20', 'Kebangkitan Yesus Kristus (Paskah)', 'libur_nasional'),
    ('2025-05-01', 'Hari Buruh Internasional', 'libur_nasional'),
    ('2025-05-12', 'Hari Raya Waisak 2569 BE', 'libur_nasional'),
    ('2025-05-13', 'Cuti bersama Waisak', 'cuti_bersama'),
    ('2025-05-29', 'Kenaikan Yesus Kristus', 'libur_nasional'),
    ('2025-05-30', 'Cuti bersama Kenaikan Yesus Kristus', 'cuti_bersama'),
    ('2025-06-01', 'Hari Lahir Pancasila', 'libur_nasional'),
    ('2025-06-06', 'Idul Adha 1446 H', 'libur_nasional'),
    ('2025-06-09', 'Cuti bersama Idul Adha', 'cuti_bersama'),
    ('2025-06-27', 'Tahun Baru Islam 1447 H', 'libur_nasional'),
    ('2025-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional'),
    ('2025-08-18', 'Cuti bersama Hari Kemerdekaan', 'cuti_bersama'),
    ('2025-09-05', 'Maulid Nabi Muhammad SAW', 'libur_nasional'),
    ('2025-12-25', 'Hari Raya Natal', 'libur_nasional'),
    ('2025-12-26', 'Cuti bersama Hari Raya Natal', 'cuti_bersama'),
    ('2026-01-01', 'Tahun Baru 2026 Masehi', 'libur_nasional'),
    ('2026-01-16', 'Isra Mikraj Nabi Muhammad SAW', 'libur_nasional'),
    ('2026-02-16', 'Cuti bersama Tahun Baru Imlek', 'cuti_bersama'),
    ('2026-02-17', 'Tahun Baru Imlek 2577 Kongzili', 'libur_nasional'),
    ('2026-03-18', 'Cuti bersama Hari Suci Nyepi', 'cuti_bersama'),
    ('2026-03-19', 'Hari Suci Nyepi Tahun Baru Saka 1948', 'libur_nasional'),
    ('2026-03-20', 'Idul Fitri 1447 H', 'libur_nasional'),
    ('2026-03-21', 'Idul Fitri 1447 H', 'libur_nasional'),
    ('2026-03-23', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2026-03-24', 'Cuti bersama Idul Fitri', 'cuti_bersama'),
    ('2026-04-03', 'Wafat Yesus Kristus', 'libur_nasional'),
    ('2026-04-05', 'Kebangkitan Yesus Kristus (Paskah)', 'libur_nasional'),
    ('2026-05-01', 'Hari Buruh Internasional', 'libur_nasional'),
    ('2026-05-14', 'Kenaikan Yesus Kristus', 'libur_nasional'),
    ('2026-05-15', 'Cuti bersama Kenaikan Yesus Kristus', 'cuti_bersama'),
    ('2026-05-27', 'Idul Adha 1447 H', 'libur_nasional'),
    ('2026-05-28', 'Cuti bersama Idul Adha', 'cuti_bersama'),
    ('2026-05-31', 'Hari Raya Waisak 2570 BE', 'libur_nasional'),
    ('2026-06-01', 'Hari Lahir Pancasila', 'libur_nasional'),
    ('2026-06-16', 'Tahun Baru Islam 1448 H', 'libur_nasional'),
    ('2026-08-17', 'Hari Kemerdekaan Republik Indonesia', 'libur_nasional'),
    ('2026-08-25', 'Maulid Nabi Muhammad SAW', 'libur_nasional'),
    ('2026-12-24', 'Cuti bersama Hari Raya Natal', 'cuti_bersama'),
    ('2026-12-25', 'Hari Raya Natal', 'libur_nasional');

-- The ladder of domain.md with its default deadlines.
INSERT INTO follow_up_rules (kind, track, position, days, day_kind) VALUES
    ('teguran_1',         'bpjs',     1, 10, 'working'),
    ('teguran_2',         'bpjs',     2, 10, 'working'),
    ('denda',             'bpjs',     3, 30, 'calendar'),
    ('tmp2t',             'bpjs',     4, 30, 'calendar'),
    ('skk_kejaksaan',     'bpjs',     5, 30, 'calendar'),
    ('rujukan_disnaker',  'disnaker', 6, 14, 'calendar'),
    ('nota_1',            'disnaker', 7, 14, 'calendar'),
    ('nota_2',            'disnaker', 8,  7, 'calendar'),
    ('penyidikan',        'disnaker', 9, 30, 'calendar'),
    ('pemeriksaan_ulang', 'bpjs',    10, 10, 'working');

INSERT INTO settings (key, value) VALUES
    ('menunggak_min_months', '1'),
    ('resident_target_2025', '2800000'),
    ('visit_overdue_days', '14');

-- +goose Down
DELETE FROM settings;
DELETE FROM follow_up_rules;
DELETE FROM holidays;
DELETE FROM minimum_wages;
DELETE FROM contribution_rates;

-- The groups the follow-up marts report on, per quarter: the municipality, each sector and each
-- unit with persons (possible workdays > 0) in the quarter, and that count, which decides the
-- masking exactly as for the sick-leave figures. Internal (never published).
CREATE OR REPLACE TABLE follow_up_scopes AS
-- `present` is read three times; left unmaterialised, each reading is a plain filtered scan of
-- core_fact_quarter, cheaper than writing two million rows aside and reading them back.
WITH present AS NOT MATERIALIZED (
    SELECT quarter, person_id, unit_code, sector_code
    FROM core_fact_quarter
    WHERE possible_workdays > 0
)
SELECT quarter, 'municipality' AS scope_level, 'Alle' AS scope_code,
    count(DISTINCT person_id) AS persons
FROM present GROUP BY quarter
UNION ALL
SELECT quarter, 'sector', sector_code, count(DISTINCT person_id) FROM present GROUP BY ALL
UNION ALL
SELECT quarter, 'unit', unit_code, count(DISTINCT person_id) FROM present GROUP BY ALL;

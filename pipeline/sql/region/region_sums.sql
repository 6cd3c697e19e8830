-- The municipalities' published rows added up, at four levels, before the region's own masking:
-- the region (every municipality's whole-municipality row), each municipality, each common
-- sector across the region, and each municipality's common sector (its sectors mapped through the
-- region file; two local sectors may map to one common sector). Only additive measures are added
-- (workdays and persons), never percentages. A row masked in its municipality has no figures
-- there, so it cannot be added: `parts_masked` says how many such rows a sum is missing.
-- Persons add up because each municipality counts its own employees (an employee of two
-- municipalities counts in both, as in NAV's statistics by employer).
CREATE OR REPLACE TEMP TABLE region_sums AS
WITH municipality_rows AS (
    SELECT * FROM region_input WHERE scope_level = 'municipality'
),
sector_rows AS (
    SELECT i.*, m.common_sector_code, m.common_sector_name
    FROM region_input AS i
    JOIN region_sector_map AS m
        ON m.municipality_number = i.municipality_number AND m.sector_code = i.scope_code
    WHERE i.scope_level = 'sector'
),
parts AS (
    SELECT 'region' AS level, NULL::VARCHAR AS number, NULL::VARCHAR AS sector_code,
        NULL::VARCHAR AS sector_name, * FROM municipality_rows
    UNION ALL BY NAME
    SELECT 'municipality' AS level, municipality_number AS number, NULL::VARCHAR AS sector_code,
        NULL::VARCHAR AS sector_name, * FROM municipality_rows
    UNION ALL BY NAME
    SELECT 'sector' AS level, NULL::VARCHAR AS number, common_sector_code AS sector_code,
        common_sector_name AS sector_name,
        * EXCLUDE (common_sector_code, common_sector_name) FROM sector_rows
    UNION ALL BY NAME
    SELECT 'municipality_sector' AS level, municipality_number AS number,
        common_sector_code AS sector_code, common_sector_name AS sector_name,
        * EXCLUDE (common_sector_code, common_sector_name) FROM sector_rows
)
SELECT
    level AS scope_level,
    number AS municipality_number,
    sector_code,
    any_value(sector_name) AS sector_name,
    level || '|' || coalesce(number, '') || '|' || coalesce(sector_code, '') AS group_key,
    period_type,
    period,
    min(first_quarter) AS first_quarter,
    max(last_quarter) AS last_quarter,
    bool_and(is_complete) AS is_complete,
    count(*) AS parts,
    count(*) FILTER (WHERE is_masked) AS parts_masked,
    coalesce(sum(persons), 0) AS persons,
    sum(possible_workdays) AS possible_workdays,
    sum(lost_workdays) AS lost_workdays,
    sum(lost_workdays_self) AS lost_workdays_self,
    sum(lost_workdays_doctor) AS lost_workdays_doctor,
    sum(lost_workdays_short) AS lost_workdays_short,
    sum(lost_workdays_long) AS lost_workdays_long,
    sum(lost_workdays_graded) AS lost_workdays_graded
FROM parts
GROUP BY level, number, sector_code, period_type, period;

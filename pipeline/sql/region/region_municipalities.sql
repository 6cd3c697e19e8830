-- The region's municipalities and whether tonight's figures are in: a municipality whose night
-- failed (or whose published files are missing) is listed, and left out of every sum.
CREATE OR REPLACE TABLE region_municipalities AS
SELECT
    m.municipality_number,
    m.municipality_name,
    m.is_included,
    m.status,
    m.as_of,
    m.is_sample_data,
    (
        SELECT string_agg(DISTINCT i.scope_code, ', ' ORDER BY i.scope_code)
        FROM region_input AS i
        WHERE i.municipality_number = m.municipality_number AND i.scope_level = 'sector'
            AND i.scope_code NOT IN (
                SELECT s.sector_code FROM region_sector_map AS s
                WHERE s.municipality_number = m.municipality_number
            )
    ) AS unmapped_sectors
FROM region_input_municipalities AS m;

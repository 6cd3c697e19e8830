-- How each municipality's sectors map to the region's common sectors (from the region file),
-- with the names the municipality itself publishes.
CREATE OR REPLACE TABLE region_sectors AS
SELECT
    s.municipality_number,
    s.sector_code,
    (
        SELECT any_value(i.scope_name) FROM region_input AS i
        WHERE i.municipality_number = s.municipality_number AND i.scope_level = 'sector'
            AND i.scope_code = s.sector_code
    ) AS sector_name,
    s.common_sector_code,
    s.common_sector_name
FROM region_sector_map AS s;

-- Absences as read from Agresso: typed and renamed, nothing else; one row per good row of the
-- exports left after the replacement rule, numbered by absence_id.
-- Filled from the reader's frame by pipeline.warehouse.create_staging.
CREATE OR REPLACE TABLE stg_absences (
    absence_id BIGINT, person_key VARCHAR, absence_code VARCHAR, unit_code VARCHAR,
    from_date DATE, to_date DATE, absence_pct DECIMAL(9, 4),
    source_file VARCHAR, source_line INTEGER
);

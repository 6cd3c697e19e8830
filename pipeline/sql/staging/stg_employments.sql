-- Employments as read from Agresso: typed and renamed, nothing else; one row per good row of the
-- exports left after the replacement rule, numbered by employment_id.
-- Filled from the reader's frame by pipeline.warehouse.create_staging.
CREATE OR REPLACE TABLE stg_employments (
    employment_id BIGINT, person_key VARCHAR, unit_code VARCHAR,
    position_pct DECIMAL(9, 4), from_date DATE, to_date DATE, employment_type VARCHAR,
    gender VARCHAR, birth_year INTEGER, position_code VARCHAR,
    source_file VARCHAR, source_line INTEGER,
    -- full-time annual pay (Årslønn), optional: NULL is unknown pay, never 0
    annual_pay DECIMAL(18, 2)
);

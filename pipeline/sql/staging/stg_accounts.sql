-- Accounts (regnskap) as read: one row per good row of the exports left after the replacement
-- rule. period_month is the first day of the month Periode names (2014-03 and 201403 alike).
-- Filled from the reader's frame by pipeline.warehouse.create_staging (see pipeline/cost.py).
CREATE OR REPLACE TABLE stg_accounts (
    account_row_id BIGINT, period VARCHAR, period_month DATE, unit_code VARCHAR, art VARCHAR,
    amount DECIMAL(18, 2), source_file VARCHAR, source_line INTEGER
);

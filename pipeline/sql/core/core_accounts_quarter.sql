-- Booked substitute pay and sick-pay refunds per quarter and unit (Ansvar), from the accounts'
-- rows whose art the profile names (stg_account_arts). Refunds are booked negative; they are
-- turned positive here so that they compare with the expected refund. The sector is the one the
-- organisation gives the unit on the month's first day.
CREATE OR REPLACE TABLE core_accounts_quarter AS
SELECT
    q.quarter,
    a.unit_code,
    u.sector_code,
    CAST(coalesce(sum(a.amount) FILTER (WHERE k.kind = 'substitute_pay'), 0) AS DECIMAL(18, 2))
        AS substitute_pay,
    CAST(-coalesce(sum(a.amount) FILTER (WHERE k.kind = 'refund'), 0) AS DECIMAL(18, 2))
        AS booked_refund
FROM stg_accounts AS a
JOIN stg_account_arts AS k USING (art)
JOIN core_quarters AS q ON a.period_month BETWEEN q.start_date AND q.end_date
JOIN core_units AS u
    ON u.unit_code = a.unit_code AND a.period_month BETWEEN u.valid_from AND u.valid_to
GROUP BY q.quarter, a.unit_code, u.sector_code;

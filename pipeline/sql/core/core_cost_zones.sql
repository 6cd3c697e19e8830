-- Each case cut into the zones that decide who pays a sick day: 'employer' (the employer period),
-- 'refunded' (NAV's, refunded to the employer) and 'after_maksdato' (NAV's period, but past the
-- 248 refunded working days of the chain, folketrygdloven § 8-12: no refund).
-- Refunded working days are counted as NAV counts sick-pay days: five days a week, whole days,
-- here the calendar's working days (holidays left out, as for lost workdays: a simplification).
-- The 248th day is found by one calendar lookup (the day whose running count of working days
-- reaches it), never by stepping through days.
CREATE OR REPLACE TABLE core_cost_zones AS
WITH nav_part AS (
    SELECT
        c.*,
        cb.workdays_through - ca.workdays_before AS nav_working_days,
        ca.workdays_before AS nav_workdays_before
    FROM core_cost_chains AS c
    JOIN core_calendar AS ca ON ca.day = c.nav_from
    JOIN core_calendar AS cb ON cb.day = c.case_to
),
running AS (
    SELECT
        *,
        coalesce(sum(nav_working_days) OVER (
            PARTITION BY person_id, chain_no ORDER BY case_from
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS refunded_before
    FROM nav_part
),
limited AS (
    SELECT
        r.person_id,
        r.case_no,
        r.chain_no,
        r.nav_from,
        r.case_to,
        CASE
            WHEN r.refunded_before >= 248 THEN CAST(r.nav_from - 1 AS DATE)
            WHEN r.refunded_before + r.nav_working_days <= 248 THEN r.case_to
            ELSE m.day
        END AS refund_to
    FROM running AS r
    LEFT JOIN core_calendar AS m
        ON r.refunded_before < 248
       AND r.refunded_before + r.nav_working_days > 248
       AND m.is_working_day
       AND m.workdays_through = r.nav_workdays_before + (248 - r.refunded_before)
)
SELECT person_id, chain_no, 'employer' AS zone, case_from AS zone_from,
    coalesce(CAST(nav_from - 1 AS DATE), case_to) AS zone_to
FROM core_cost_chains
WHERE nav_from IS NULL OR nav_from > case_from
UNION ALL
SELECT person_id, chain_no, 'refunded', nav_from, refund_to
FROM limited
WHERE refund_to >= nav_from
UNION ALL
SELECT person_id, chain_no, 'after_maksdato', CAST(refund_to + 1 AS DATE), case_to
FROM limited
WHERE refund_to < case_to;

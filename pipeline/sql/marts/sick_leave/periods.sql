-- Reporting periods as sets of quarters: each quarter, each year, year-to-date (hittil i år)
-- through each quarter, and rolling four quarters ending at each quarter. A period is complete
-- when it has all its quarters in the window and its last quarter is complete.
CREATE OR REPLACE TABLE periods AS
WITH q AS (
    SELECT quarter, year, quarter_no, year * 4 + quarter_no AS seq, is_complete FROM core_quarters
),
members AS (
    SELECT 'quarter' AS period_type, quarter AS period, quarter AS member, 1 AS needed FROM q
    UNION ALL
    SELECT 'year', CAST(year AS VARCHAR), quarter, 4 FROM q
    UNION ALL
    SELECT 'year_to_date', e.quarter, m.quarter, e.quarter_no
    FROM q AS e JOIN q AS m ON m.year = e.year AND m.quarter_no <= e.quarter_no
    UNION ALL
    SELECT 'rolling_four_quarters', e.quarter, m.quarter, 4
    FROM q AS e JOIN q AS m ON m.seq BETWEEN e.seq - 3 AND e.seq
),
described AS (
    SELECT
        m.period_type,
        m.period,
        min(q.quarter) AS first_quarter,
        max(q.quarter) AS last_quarter,
        count(*) = any_value(m.needed) AND bool_and(q.is_complete) AS is_complete
    FROM members AS m JOIN q ON q.quarter = m.member
    GROUP BY m.period_type, m.period
)
SELECT m.period_type, m.period, m.member AS quarter, d.first_quarter, d.last_quarter, d.is_complete
FROM members AS m JOIN described AS d USING (period_type, period);

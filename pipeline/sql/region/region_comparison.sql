-- Each municipality against the region, each municipality's common sector against the same sector
-- in the region, and each common sector against the region as a whole, period by period.
--
-- nav_signal is NAV's rule for comparing an employer with its industry in its sick-leave
-- statistics service (github.com/navikt/sykefravarsstatistikk, src/Forside/vurdering-utils.ts):
-- the published percentage more than 1.1 times the reference's is higher (red), less than 0.9
-- times is lower (green), else about the same; NAV judges the last four quarters and says nothing
-- while fewer than four are there, so an incomplete rolling period gets no signal here either.
-- ratio_pct is 100 x the group's rate / the reference's rate on the unrounded workdays (through
-- sick_leave_pct, rounded half up to one decimal like every published percentage). rank: 1 = the
-- lowest sick leave among the unmasked groups compared with the same reference. trend_pp:
-- percentage points since the same period a year earlier. national_pct: SSB's figure for the
-- country (quarters only).
CREATE OR REPLACE TABLE region_comparison AS
WITH pairs AS (
    SELECT g.*, r.sick_leave_pct AS reference_pct,
        r.lost_workdays AS reference_lost, r.possible_workdays AS reference_possible,
        r.scope_level AS reference_level
    FROM region_sick_leave_periods AS g
    JOIN region_sick_leave_periods AS r
        ON r.period_type = g.period_type AND r.period = g.period
        AND (
            (g.scope_level IN ('municipality', 'sector') AND r.scope_level = 'region')
            OR (g.scope_level = 'municipality_sector' AND r.scope_level = 'sector'
                AND r.sector_code = g.sector_code)
        )
),
year_before AS (
    SELECT *,
        CASE WHEN period LIKE '%K%'
            THEN CAST(CAST(left(period, 4) AS INTEGER) - 1 AS VARCHAR) || substr(period, 5)
            ELSE CAST(CAST(period AS INTEGER) - 1 AS VARCHAR)
        END AS period_a_year_before
    FROM pairs
),
compared AS (
    SELECT
        y.*,
        sick_leave_pct(y.lost_workdays * y.reference_possible,
            y.possible_workdays * y.reference_lost) AS ratio_pct,
        y.sick_leave_pct - p.sick_leave_pct AS trend_pp,
        -- municipalities are ranked within one common sector; common sectors among themselves
        CASE WHEN y.scope_level = 'municipality_sector' THEN y.sector_code END AS ranked_within
    FROM year_before AS y
    LEFT JOIN region_sick_leave_periods AS p
        ON p.period_type = y.period_type AND p.period = y.period_a_year_before
        AND p.scope_level = y.scope_level
        AND p.municipality_number IS NOT DISTINCT FROM y.municipality_number
        AND p.sector_code IS NOT DISTINCT FROM y.sector_code
)
SELECT
    c.period_type,
    c.period,
    c.is_complete,
    c.scope_level,
    c.reference_level,
    c.municipality_number,
    c.municipality_name,
    c.sector_code,
    c.sector_name,
    c.persons,
    c.sick_leave_pct,
    c.reference_pct,
    c.ratio_pct,
    CASE
        WHEN c.sick_leave_pct IS NULL OR c.reference_pct IS NULL THEN NULL
        WHEN c.period_type = 'rolling_four_quarters' AND NOT c.is_complete THEN NULL
        WHEN c.sick_leave_pct > 1.1 * c.reference_pct THEN 'higher'
        WHEN c.sick_leave_pct < 0.9 * c.reference_pct THEN 'lower'
        ELSE 'same'
    END AS nav_signal,
    CASE WHEN c.sick_leave_pct IS NOT NULL THEN
        rank() OVER (
            PARTITION BY c.period_type, c.period, c.scope_level, c.ranked_within,
                c.sick_leave_pct IS NULL
            ORDER BY c.sick_leave_pct
        )
    END AS rank,
    count(c.sick_leave_pct) OVER (
        PARTITION BY c.period_type, c.period, c.scope_level, c.ranked_within
    ) AS ranked,
    c.trend_pp,
    CASE WHEN c.period_type = 'quarter' THEN n.sick_leave_pct END AS national_pct,
    c.is_masked
FROM compared AS c
LEFT JOIN region_national AS n ON n.quarter = c.period;

-- A person's total annual pay over time: the sum, over the employments active on a day, of
-- Årslønn (full-time pay) x position share, i.e. what the person earns a year. Cut at every
-- employment start and end, so the total is the same on every day of a period. When one of the
-- active employments has no Årslønn the total is unknown (has_unknown_pay), never too low.
-- Only the persons with days NAV refunds need it (the 6G test).
CREATE OR REPLACE TABLE core_cost_pay_periods AS
WITH employments AS (
    SELECT *
    FROM core_employments
    WHERE person_id IN (SELECT person_id FROM core_cost_chains WHERE nav_from IS NOT NULL)
),
bounds AS (
    SELECT person_id, eff_from AS bound FROM employments
    UNION
    SELECT person_id, CAST(eff_to + 1 AS DATE) FROM employments
),
periods AS (
    SELECT
        person_id,
        bound AS period_from,
        CAST(lead(bound) OVER (PARTITION BY person_id ORDER BY bound) - 1 AS DATE) AS period_to
    FROM bounds
)
SELECT
    p.person_id,
    p.period_from,
    p.period_to,
    CAST(sum(s.annual_pay * e.position_share) AS DECIMAL(18, 4)) AS total_pay,
    bool_or(s.annual_pay IS NULL) AS has_unknown_pay
FROM periods AS p
JOIN employments AS e
    ON e.person_id = p.person_id AND e.eff_from <= p.period_from AND e.eff_to >= p.period_to
JOIN stg_employments AS s USING (employment_id)
WHERE p.period_to IS NOT NULL
GROUP BY p.person_id, p.period_from, p.period_to;

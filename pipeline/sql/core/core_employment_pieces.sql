-- Each employment cut at quarter boundaries and at its unit's sector changes: one piece lies in one
-- quarter and one sector. possible_workdays = position share x working days in the piece.
CREATE OR REPLACE TABLE core_employment_pieces AS
WITH pieces AS (
    SELECT
        e.employment_id,
        e.person_id,
        e.unit_code,
        u.sector_code,
        q.quarter,
        e.position_share,
        greatest(e.eff_from, q.start_date, u.valid_from) AS piece_from,
        least(e.eff_to, q.end_date, u.valid_to) AS piece_to
    FROM core_employments AS e
    JOIN core_quarters AS q ON e.eff_from <= q.end_date AND e.eff_to >= q.start_date
    JOIN core_units AS u
        ON u.unit_code = e.unit_code AND e.eff_from <= u.valid_to AND e.eff_to >= u.valid_from
)
SELECT
    p.*,
    cb.workdays_through - ca.workdays_before AS working_days,
    CAST(p.position_share * (cb.workdays_through - ca.workdays_before) AS DECIMAL(18, 8))
        AS possible_workdays
FROM pieces AS p
JOIN core_calendar AS ca ON ca.day = p.piece_from
JOIN core_calendar AS cb ON cb.day = p.piece_to
WHERE p.piece_from <= p.piece_to;

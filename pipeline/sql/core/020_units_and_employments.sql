-- Units with their sector for each stretch of time (reorganisations move units between sectors;
-- history is not rewritten). Open validity runs from the beginning / to the end of time.
CREATE OR REPLACE TABLE core_units AS
SELECT
    unit_code,
    unit_name,
    sector_code,
    sector_name,
    org_number,
    coalesce(valid_from, DATE '0001-01-01') AS valid_from,
    coalesce(valid_to, DATE '9999-12-31') AS valid_to
FROM stg_organisation;

-- Every person (pseudonym) in the exports numbered: the core tables carry the small integer, which
-- joins, sorts and groups several times faster than the 32-character pseudonym. The numbering is
-- internal to one build and never published.
CREATE OR REPLACE TABLE core_persons AS
SELECT CAST(row_number() OVER (ORDER BY person_key) AS INTEGER) AS person_id, person_key
FROM (SELECT person_key FROM stg_employments UNION SELECT person_key FROM stg_absences);

-- Employments clipped to the report window; an open employment runs to the as-of date.
CREATE OR REPLACE TABLE core_employments AS
SELECT
    e.employment_id,
    p.person_id,
    e.unit_code,
    CAST(e.position_pct * 0.01 AS DECIMAL(18, 8)) AS position_share,
    greatest(e.from_date, w.start_date) AS eff_from,
    least(coalesce(e.to_date, w.end_date), w.end_date) AS eff_to
FROM stg_employments AS e
JOIN core_persons AS p USING (person_key)
CROSS JOIN core_report_window AS w
WHERE greatest(e.from_date, w.start_date) <= least(coalesce(e.to_date, w.end_date), w.end_date);

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

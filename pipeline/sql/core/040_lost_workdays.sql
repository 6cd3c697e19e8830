-- A spell applies to the person's employment(s) at its unit, or to every employment the person
-- has that day when it names no unit; it is cut to the employment's days in the window.
CREATE OR REPLACE TABLE core_spell_on_employment AS
SELECT
    s.absence_id,
    s.source_file,
    s.source_line,
    e.employment_id,
    e.person_id,
    s.certification,
    s.grade,
    greatest(s.from_date, e.eff_from) AS seg_from,
    least(s.to_date, e.eff_to) AS seg_to
FROM core_sick_spells AS s
JOIN core_employments AS e
    ON e.person_id = s.person_id
   AND (s.unit_code IS NULL OR s.unit_code = e.unit_code)
   AND s.from_date <= e.eff_to
   AND s.to_date >= e.eff_from;

-- Elementary segments: each employment's absence days cut at every spell start and end, so that
-- within a segment the same spells apply on every day. Per segment, doctor-certified grades count
-- first (together at most 100 %), self-certified ones fill what is left: lost never exceeds the
-- position share, whatever overlaps in the export.
CREATE OR REPLACE TABLE core_absence_segments AS
WITH bounds AS (
    SELECT employment_id, seg_from AS bound FROM core_spell_on_employment
    UNION
    SELECT employment_id, seg_to + 1 AS bound FROM core_spell_on_employment
),
segments AS (
    SELECT
        employment_id,
        bound AS seg_from,
        lead(bound) OVER (PARTITION BY employment_id ORDER BY bound) - 1 AS seg_to
    FROM bounds
),
graded AS (
    SELECT
        g.employment_id,
        any_value(x.person_id) AS person_id,
        g.seg_from,
        g.seg_to,
        least(1, coalesce(sum(x.grade) FILTER (WHERE x.certification = 'doctor_certified'), 0))
            AS doctor_grade,
        coalesce(sum(x.grade) FILTER (WHERE x.certification = 'self_certified'), 0) AS self_sum,
        count(*) AS covering_spells
    FROM segments AS g
    JOIN core_spell_on_employment AS x
        ON x.employment_id = g.employment_id
       AND x.seg_from <= g.seg_from
       AND x.seg_to >= g.seg_to
    WHERE g.seg_to IS NOT NULL
    GROUP BY g.employment_id, g.seg_from, g.seg_to
)
SELECT
    g.employment_id,
    g.person_id,
    g.seg_from,
    g.seg_to,
    CAST(g.doctor_grade AS DECIMAL(18, 8)) AS doctor_grade,
    CAST(least(1 - g.doctor_grade, g.self_sum) AS DECIMAL(18, 8)) AS self_grade,
    g.doctor_grade > 0 AND g.doctor_grade < 1 AS is_graded,
    g.covering_spells,
    c.is_long_term
FROM graded AS g
JOIN core_case_durations AS c
    ON c.person_id = g.person_id AND g.seg_from BETWEEN c.case_from AND c.case_to;

-- Lost workdays per employment piece (quarter, sector): segment days inside the piece, counted
-- on working days only, times position share and the segment's grades.
CREATE OR REPLACE TABLE core_lost_pieces AS
WITH cut AS (
    SELECT
        p.employment_id,
        p.person_id,
        p.unit_code,
        p.sector_code,
        p.quarter,
        p.position_share,
        s.doctor_grade,
        s.self_grade,
        s.is_graded,
        s.is_long_term,
        greatest(s.seg_from, p.piece_from) AS cut_from,
        least(s.seg_to, p.piece_to) AS cut_to
    FROM core_absence_segments AS s
    JOIN core_employment_pieces AS p
        ON p.employment_id = s.employment_id
       AND s.seg_from <= p.piece_to
       AND s.seg_to >= p.piece_from
),
counted AS (
    SELECT
        c.*,
        cb.workdays_through - ca.workdays_before AS working_days
    FROM cut AS c
    JOIN core_calendar AS ca ON ca.day = c.cut_from
    JOIN core_calendar AS cb ON cb.day = c.cut_to
)
SELECT
    employment_id,
    person_id,
    unit_code,
    sector_code,
    quarter,
    working_days,
    CAST(position_share * doctor_grade * working_days AS DECIMAL(18, 8)) AS lost_doctor,
    CAST(position_share * self_grade * working_days AS DECIMAL(18, 8)) AS lost_self,
    is_graded,
    is_long_term
FROM counted
WHERE working_days > 0;

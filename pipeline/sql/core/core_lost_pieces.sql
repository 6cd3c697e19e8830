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

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

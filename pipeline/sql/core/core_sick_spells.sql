-- Sick-leave spells (self- and doctor-certified; other codes count nowhere), cut at the as-of date:
-- a sick note running past it has not been lost yet. An empty grade means 100 %.
CREATE OR REPLACE TABLE core_sick_spells AS
SELECT
    a.absence_id,
    a.source_file,
    a.source_line,
    n.person_id,
    a.unit_code,
    c.certification,
    CAST(coalesce(a.absence_pct, 100) * 0.01 AS DECIMAL(18, 8)) AS grade,
    a.from_date,
    least(a.to_date, p.as_of) AS to_date
FROM stg_absences AS a
JOIN core_persons AS n USING (person_key)
JOIN stg_absence_codes AS c ON c.absence_code = a.absence_code
CROSS JOIN params AS p
WHERE c.certification IN ('self_certified', 'doctor_certified')
  AND a.from_date <= p.as_of;

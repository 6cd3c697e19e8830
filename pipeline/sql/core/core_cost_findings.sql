-- Unknown pay: one finding per employments file whose employments with sick leave have no Årslønn
-- (their cost is unknown, never 0, and the pay coverage shows how much is missing).
CREATE OR REPLACE TABLE core_cost_findings AS
SELECT
    'employments' AS source,
    e.source_file AS file,
    CAST(NULL AS INTEGER) AS line,
    'Årslønn' AS "column",
    'warning' AS severity,
    'annual_pay_missing' AS rule,
    CAST(count(DISTINCT e.employment_id) AS VARCHAR)
        || ' arbeidsforhold med sykefravær har ingen årslønn; kostnaden av fraværet deres er '
        || 'ukjent (ikke 0) og er ikke med i kostnadstallene. Ta med kolonnen «Årslønn» '
        || '(årslønn for 100 % stilling) i uttrekket fra Agresso.' AS message
FROM stg_employments AS e
WHERE e.annual_pay IS NULL
  AND e.employment_id IN (SELECT employment_id FROM core_lost_pieces)
GROUP BY e.source_file;

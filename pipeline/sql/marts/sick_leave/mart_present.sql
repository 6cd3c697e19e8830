CREATE OR REPLACE TEMP TABLE mart_present AS
WITH fact AS (
    SELECT
        f.person_id AS pid, q.seq, m.scope_id AS all_id, s.scope_id AS sector_id,
        u.scope_id AS unit_id
    FROM core_fact_quarter AS f
    JOIN mart_seqs AS q USING (quarter)
    JOIN mart_scopes AS m ON m.scope_level = 'municipality'
    JOIN mart_scopes AS s ON s.scope_level = 'sector' AND s.scope_code = f.sector_code
    JOIN mart_scopes AS u ON u.scope_level = 'unit' AND u.scope_code = f.unit_code
    -- a person counts in a scope and quarter when the person has possible workdays there; these
    -- are never negative, so the person's sum is positive exactly when one of the rows is
    WHERE f.possible_workdays > 0
)
SELECT DISTINCT all_id AS scope_id, seq, pid FROM fact
UNION ALL
SELECT DISTINCT sector_id, seq, pid FROM fact
UNION ALL
SELECT DISTINCT unit_id, seq, pid FROM fact;

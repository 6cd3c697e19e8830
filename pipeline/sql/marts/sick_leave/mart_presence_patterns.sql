CREATE OR REPLACE TEMP TABLE mart_presence_patterns AS
SELECT scope_id, pattern, count(*) AS persons
FROM (
    SELECT p.scope_id, p.pid, bit_or(q.bit) AS pattern
    FROM mart_present AS p JOIN mart_seqs AS q USING (seq)
    GROUP BY p.scope_id, p.pid
)
GROUP BY scope_id, pattern;

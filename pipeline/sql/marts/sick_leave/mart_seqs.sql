-- Sick leave by period and scope. Sums of lost and possible workdays over quarters and units,
-- then the ratio (never an average of percentages). A figure is masked when even its largest
-- quarter has fewer persons than the threshold: value, lost and possible are then empty.
--
-- Cost: the fact has one row per quarter, person, unit and sector, and each quarter belongs to up
-- to ten periods, so nothing person-level is ever multiplied by the periods it belongs to:
-- - sums are taken per scope and quarter first, then over periods (additive: the same exact sums),
-- - distinct persons per period: each person's quarters of presence (possible workdays > 0) in a
--   scope are one bit pattern (bit i = the window's i-th quarter), and so is each period's set of
--   quarters. A person counts in a period when the two patterns share a bit. Persons are grouped
--   by pattern first: a country's 1.6 million (scope, person) pairs have a few hundred distinct
--   patterns per scope, so the period join runs over patterns, never persons x periods (and
--   replaces a window over every person's quarters that took 6 s of a country's five years).
--   UHUGEINT holds 128 quarters; pipeline/steps.py refuses a longer report window beforehand.
-- Scopes and quarters are numbered (integers group and sort much faster than strings; persons
-- already are, in core_persons). The scratch tables are TEMP (gone when the build's connection
-- closes) and built one by one: as one statement the planner did about twice the work.
CREATE OR REPLACE TEMP TABLE mart_seqs AS
SELECT
    quarter,
    year * 4 + quarter_no AS seq,
    CAST(1 AS UHUGEINT) << CAST(year * 4 + quarter_no - min(year * 4 + quarter_no) OVER ()
        AS UHUGEINT) AS bit
FROM core_quarters;

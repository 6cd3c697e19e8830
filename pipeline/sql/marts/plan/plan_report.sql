-- plan_report: the quarterly gevinstrapport in the layout the municipality reports to AMU and the
-- administration committee: one row per indicator, the four quarters of last year and last
-- year's annual figure, then this year's quarters so far and year-to-date (hittil i år).
--
-- The period columns depend on the report quarter, so pipeline/indicators.py fills in the
-- dollar-sign placeholders below before running this file: the period columns (one filtered
-- max(value) per column, named like 1. kv. 2013), the report year and the report quarter.
CREATE OR REPLACE VIEW plan_report AS
SELECT
    i.indicator_id AS "Indikator-id",
    i.target_group_name AS "Målgruppe",
    i.name AS "Målindikator",
    i.target_text AS "Mål",
    $period_columns,
    any_value(t.target) AS "Mål $report_year",
    max(s.status_label) FILTER (
        WHERE s.period_type = 'year_to_date' AND s.period = '$report_quarter'
    ) AS "Status hittil i år"
FROM plan_indicators AS i
LEFT JOIN indicator_status AS s ON s.indicator_id = i.indicator_id
LEFT JOIN plan_targets AS t ON t.indicator_id = i.indicator_id AND t.year = $report_year
GROUP BY i.sort_order, i.indicator_id, i.target_group_name, i.name, i.target_text
ORDER BY i.sort_order;

-- plan_report: the quarterly gevinstrapport in the layout the municipality reports to AMU and the
-- administration committee: one row per indicator, the four quarters of last year and last
-- year's annual figure, then this year's quarters so far and year-to-date (hittil i år).
--
-- The report quarter and its year come from params (report_quarter, report_year); the period
-- columns from plan_report_columns (number, name, period; pipeline.indicators loads it). Up to
-- ten period columns are computed here as period_1 .. period_10; pipeline.indicators then gives
-- them their names (1. kv. 2013, Snitt 2013, ...) and drops the ones the quarter does not have,
-- as a column's name cannot be a parameter.
CREATE OR REPLACE TABLE plan_report AS
SELECT
    i.indicator_id AS "Indikator-id",
    i.target_group_name AS "Målgruppe",
    i.name AS "Målindikator",
    i.target_text AS "Mål",
    max(s.value) FILTER (WHERE c.column_no = 1) AS period_1,
    max(s.value) FILTER (WHERE c.column_no = 2) AS period_2,
    max(s.value) FILTER (WHERE c.column_no = 3) AS period_3,
    max(s.value) FILTER (WHERE c.column_no = 4) AS period_4,
    max(s.value) FILTER (WHERE c.column_no = 5) AS period_5,
    max(s.value) FILTER (WHERE c.column_no = 6) AS period_6,
    max(s.value) FILTER (WHERE c.column_no = 7) AS period_7,
    max(s.value) FILTER (WHERE c.column_no = 8) AS period_8,
    max(s.value) FILTER (WHERE c.column_no = 9) AS period_9,
    max(s.value) FILTER (WHERE c.column_no = 10) AS period_10,
    any_value(t.target) AS target_of_report_year,
    max(s.status_label) FILTER (
        WHERE s.period_type = 'year_to_date' AND s.period = (SELECT report_quarter FROM params)
    ) AS "Status hittil i år"
FROM plan_indicators AS i
LEFT JOIN indicator_status AS s ON s.indicator_id = i.indicator_id
LEFT JOIN plan_report_columns AS c ON c.period_type = s.period_type AND c.period = s.period
LEFT JOIN plan_targets AS t
    ON t.indicator_id = i.indicator_id AND t.year = (SELECT report_year FROM params)
GROUP BY i.sort_order, i.indicator_id, i.target_group_name, i.name, i.target_text
ORDER BY i.sort_order;

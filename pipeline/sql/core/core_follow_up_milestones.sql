-- Every case with every milestone (schemas/follow_up_milestones.yaml) and how it stands on the
-- as-of date. Day N of a case falls due on its first day + (N - 1); the leader is told, and the
-- deadline for the activity is, the first working day on or after that day.
--
-- * applies: a milestone for a fully absent employee (dialogue meeting 1) applies only when the
--   person's sick-leave grades add up to 100 % on its due day (on the as-of date for a due day
--   still ahead): a graded case gets none while it is graded.
-- * is_passed: the case lasted through the due day.
-- * due_within_days: days from the as-of date to a due day ahead, for an ongoing case whose
--   registered sick note reaches it (a note ending the day before is no milestone).
-- * outcome, where a follow-up activity is expected and the export exists: on_time (first
--   activity of the case on or before the deadline, earlier ones in the case included), late
--   (after it), missing (none and the deadline is over), pending (none yet, deadline ahead).
--   An activity belongs to the case it falls in: on or after its first day, before the next.
CREATE OR REPLACE TABLE core_follow_up_milestones AS
WITH grid AS (
    SELECT
        c.person_id,
        c.case_no,
        c.case_from,
        c.case_to,
        c.registered_to,
        c.next_case_from,
        c.is_ongoing,
        c.unit_code,
        c.sector_code,
        c.leader,
        m.milestone_id,
        m.milestone_no,
        m.day,
        m.label,
        m.fully_absent_only,
        m.activity,
        CAST(c.case_from + (m.day - 1) AS DATE) AS due_date,
        least(CAST(c.case_from + (m.day - 1) AS DATE), p.as_of) AS reference_day,
        p.as_of
    FROM core_follow_up_cases AS c
    CROSS JOIN stg_follow_up_milestones AS m
    CROSS JOIN params AS p
    -- nothing beyond two weeks ahead is asked about
    WHERE c.case_from + (m.day - 1) <= p.as_of + 14
),
absent AS (
    SELECT g.person_id, g.case_no, g.milestone_id, sum(s.grade) >= 1 AS is_fully_absent
    FROM grid AS g
    JOIN core_sick_spells AS s
        ON s.person_id = g.person_id AND g.reference_day BETWEEN s.from_date AND s.to_date
    WHERE g.fully_absent_only
    GROUP BY ALL
),
done AS (
    SELECT g.person_id, g.case_no, g.milestone_id, min(f.activity_date) AS activity_date
    FROM grid AS g
    JOIN core_persons AS n ON n.person_id = g.person_id
    JOIN stg_follow_up_activities AS f ON f.person_key = n.person_key
    JOIN stg_follow_up_activity_codes AS k ON k.activity_code = f.activity_code
    WHERE k.activity = g.activity
      AND f.activity_date >= g.case_from
      AND (g.next_case_from IS NULL OR f.activity_date < g.next_case_from)
      AND f.activity_date <= g.as_of
    GROUP BY ALL
),
judged AS (
    SELECT
        g.*,
        d.next_working_day AS deadline,
        NOT g.fully_absent_only OR coalesce(a.is_fully_absent, FALSE) AS applies,
        x.activity_date,
        EXISTS (SELECT 1 FROM stg_follow_up_activities) AS has_follow_up_export
    FROM grid AS g
    LEFT JOIN core_follow_up_days AS d ON d.day = g.due_date
    LEFT JOIN absent AS a USING (person_id, case_no, milestone_id)
    LEFT JOIN done AS x USING (person_id, case_no, milestone_id)
)
SELECT
    person_id,
    case_no,
    case_from,
    unit_code,
    sector_code,
    leader,
    is_ongoing,
    milestone_id,
    milestone_no,
    day,
    label,
    activity,
    due_date,
    deadline,
    applies,
    applies AND case_to >= due_date AS is_passed,
    CASE
        WHEN applies AND is_ongoing AND due_date > as_of AND registered_to >= due_date
            THEN CAST(due_date - as_of AS INTEGER)
    END AS due_within_days,
    activity_date,
    CASE
        WHEN NOT applies OR case_to < due_date OR activity IS NULL OR NOT has_follow_up_export
            THEN NULL
        WHEN activity_date <= deadline THEN 'on_time'
        WHEN activity_date > deadline THEN 'late'
        WHEN deadline < as_of THEN 'missing'
        ELSE 'pending'
    END AS outcome
FROM judged;

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
--
-- How it is computed: the case-by-milestone grid (millions of rows at a country's scale) is made
-- once and streamed straight into the table; what the grid needs from the spells and the
-- follow-up export is computed beforehand per case, from the cases and activities alone, so the
-- grid is never materialised nor joined to the big tables itself.
CREATE OR REPLACE TABLE core_follow_up_milestones AS
WITH absent AS (
    -- only the (few) milestones for a fully absent employee need the grades: the cases they
    -- fall due for (as in the grid below) against the person's spells on the reference day
    SELECT c.person_id, c.case_no, m.milestone_id, sum(s.grade) >= 1 AS is_fully_absent
    FROM core_follow_up_cases AS c
    JOIN stg_follow_up_milestones AS m ON m.fully_absent_only
    CROSS JOIN params AS p
    JOIN core_sick_spells AS s
        ON s.person_id = c.person_id
        AND least(CAST(c.case_from + (m.day - 1) AS DATE), p.as_of)
            BETWEEN s.from_date AND s.to_date
    WHERE c.case_from + (m.day - 1) <= p.as_of + 14
    GROUP BY ALL
),
done AS (
    -- each activity to the case it falls in (one row per activity, not per milestone), then the
    -- first of each kind per case; a milestone takes the date of the activity it expects
    SELECT c.person_id, c.case_no, k.activity, min(f.activity_date) AS activity_date
    FROM stg_follow_up_activities AS f
    JOIN stg_follow_up_activity_codes AS k ON k.activity_code = f.activity_code
    JOIN core_persons AS n ON n.person_key = f.person_key
    JOIN core_follow_up_cases AS c ON c.person_id = n.person_id
    CROSS JOIN params AS p
    WHERE f.activity_date >= c.case_from
      AND (c.next_case_from IS NULL OR f.activity_date < c.next_case_from)
      AND f.activity_date <= p.as_of
    GROUP BY ALL
),
judged AS (
    SELECT
        c.person_id,
        c.case_no,
        c.case_from,
        c.case_to,
        c.registered_to,
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
        p.as_of,
        d.next_working_day AS deadline,
        NOT m.fully_absent_only OR coalesce(a.is_fully_absent, FALSE) AS applies,
        x.activity_date,
        EXISTS (SELECT 1 FROM stg_follow_up_activities) AS has_follow_up_export
    FROM core_follow_up_cases AS c
    CROSS JOIN stg_follow_up_milestones AS m
    CROSS JOIN params AS p
    LEFT JOIN core_follow_up_days AS d ON d.day = CAST(c.case_from + (m.day - 1) AS DATE)
    LEFT JOIN absent AS a
        ON a.person_id = c.person_id AND a.case_no = c.case_no AND a.milestone_id = m.milestone_id
    LEFT JOIN done AS x
        ON x.person_id = c.person_id AND x.case_no = c.case_no AND x.activity = m.activity
    -- nothing beyond two weeks ahead is asked about
    WHERE c.case_from + (m.day - 1) <= p.as_of + 14
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

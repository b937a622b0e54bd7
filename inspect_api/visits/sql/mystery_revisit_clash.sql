-- The mystery revisit rule (org setting mystery_revisit_days), in one place: two visits of one inspector
-- at one branch clash when either is a mystery visit and their windows come within p_days of each other.
-- Used by scheduling a visit (visits/queries.py) and by assigning, claiming and listing programme
-- occurrences (programmes/queries.py); each query picks the visits to compare, this says when they clash.
-- A one-expression SQL function: the planner inlines it, so the job board's set-based check stays one scan.
CREATE OR REPLACE FUNCTION mystery_revisit_clash(
    p_mode text, p_start timestamptz, p_end timestamptz,
    p_other_mode text, p_other_start timestamptz, p_other_end timestamptz, p_days int
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (p_mode = 'mystery' OR p_other_mode = 'mystery')
       AND p_other_start < p_end + make_interval(days => p_days)
       AND p_other_end > p_start - make_interval(days => p_days)
$$;

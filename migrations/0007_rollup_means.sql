-- Rankings read thousands of branch-period rows per request: keep each row's mean and sample variance
-- ready as floats, computed once per write from the exact sums (mean rounded half-up to 4 places, as
-- inspect_api/rankings/stats.py `mean` does), instead of numeric arithmetic on every read.
ALTER TABLE rollup_branch_periods
    ADD COLUMN mean double precision GENERATED ALWAYS AS (
        CASE WHEN scored > 0 THEN round(score_sum / scored, 4)::double precision END) STORED,
    ADD COLUMN variance double precision GENERATED ALWAYS AS (
        CASE WHEN scored > 1
             THEN ((score_sq_sum - score_sum * score_sum / scored) / (scored - 1))::double precision END) STORED;

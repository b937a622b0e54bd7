-- The SQL face of submissions/proof.py counts_for_fairness (#18), for statements of other features that
-- read released visits (rankings' inspector report): whether a visit whose revision carries `proof` may
-- enter the fairness statistics when visits whose integrity level reaches `exclude_from` (ok < review <
-- suspect) are left out. NULL exclude_from keeps every visit; proofs without an integrity summary
-- (stored before it existed) and no proof count. tests/integration/test_proof_integrity.py checks it
-- agrees with the Python function on every case.
CREATE OR REPLACE FUNCTION proof_counts_for_fairness(proof jsonb, exclude_from text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN exclude_from IS NULL OR proof IS NULL OR jsonb_typeof(proof -> 'integrity') IS DISTINCT FROM 'object'
            THEN true
        ELSE coalesce(array_position(ARRAY['ok', 'review', 'suspect'], proof -> 'integrity' ->> 'level')
                      < array_position(ARRAY['ok', 'review', 'suspect'], exclude_from), true)
    END
$$;

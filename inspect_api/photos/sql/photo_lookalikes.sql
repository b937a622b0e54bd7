-- The org's sealed submission photos whose hash is within `threshold` bits of `hash` (issue #20,
-- migration 0041), found by multi-index hashing over the hash's two 32-bit halves.
--
-- Pigeonhole: two hashes at most 6 bits apart differ in at most 3 bits of the high half or in at most
-- 2 bits of the low half (3 + 1 + 2 + 1 > 6). So every value within 3 bits of the high half and within
-- 2 bits of the low half is probed, each an exact match in photos_phash_hi_idx / photos_phash_lo_idx
-- (org first): 5,489 + 529 = 6,018 probes, whatever the org's size, and a random photo is a candidate
-- with probability 6,018 / 2^32. Valid for thresholds up to 6 (photos/service.py:
-- MAX_INDEXED_DISTANCE); a larger one would need radii (3, 3) and more probes.
--
-- phash_masks32(r): every 32-bit value with at most r bits set (as int4), r <= 3. IMMUTABLE, and called
-- with constants below, so the planner folds each array into the plan once.
CREATE OR REPLACE FUNCTION phash_masks32(radius int) RETURNS int[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN radius > 3 THEN NULL ELSE array_agg(m.mask ORDER BY m.mask) END FROM (
        SELECT 0 AS mask
        UNION ALL
        SELECT (1::bigint << a)::bit(32)::int
        FROM generate_series(0, 31) a WHERE radius >= 1
        UNION ALL
        SELECT ((1::bigint << a) | (1::bigint << b))::bit(32)::int
        FROM generate_series(0, 31) a, generate_series(0, 31) b WHERE radius >= 2 AND a < b
        UNION ALL
        SELECT ((1::bigint << a) | (1::bigint << b) | (1::bigint << c))::bit(32)::int
        FROM generate_series(0, 31) a, generate_series(0, 31) b, generate_series(0, 31) c
        WHERE radius >= 3 AND a < b AND b < c
    ) m
$$;

-- One SELECT, so the planner inlines it into the caller (the seal, photos/queries.py) and the index
-- conditions below are what it scans: `= ANY` of the probe array on each half's index.
CREATE OR REPLACE FUNCTION photo_lookalikes(org uuid, hash bit(64), threshold int)
RETURNS TABLE (id uuid, distance int)
LANGUAGE sql STABLE AS $$
    SELECT c.id, bit_count(c.phash # hash)::int
    FROM (
        SELECT p.id, p.phash FROM photos p
        WHERE p.org_id = org AND p.phash IS NOT NULL AND p.purpose = 'submission'
          AND substring(p.phash FROM 1 FOR 32)::int = ANY (ARRAY(
                SELECT substring(hash FROM 1 FOR 32)::int # m FROM unnest(phash_masks32(3)) AS m))
        UNION
        SELECT p.id, p.phash FROM photos p
        WHERE p.org_id = org AND p.phash IS NOT NULL AND p.purpose = 'submission'
          AND substring(p.phash FROM 33 FOR 32)::int = ANY (ARRAY(
                SELECT substring(hash FROM 33 FOR 32)::int # m FROM unnest(phash_masks32(2)) AS m))
    ) c
    WHERE bit_count(c.phash # hash) <= threshold
$$;

-- Reuse search at seal whose candidates do not grow with the org (issue #20).
--
-- Before (migration 0010): 7 pieces of 9-10 bits, exact match on any piece, one GIN index over every
-- org's photos. Two hashes within 6 bits share a piece (pigeonhole), but so does a random photo with
-- probability ~7/512: a seal examined ~1.4 % of the photos (1,400 rows at 100k, 14,000 at 1M).
--
-- Now: the hash's two 32-bit halves, each in a btree with the org in front. Two hashes at most 6 bits
-- apart differ in at most 3 bits of the high half or at most 2 of the low half (if the high half
-- differs in 4 or more, the low half differs in 2 or fewer), so the search probes every value within
-- 3 bits of the high half (5,489 values) and within 2 bits of the low half (529): 6,018 exact probes,
-- a fixed cost, and a random photo is a candidate with probability 6,018 / 2^32 (1.4 per million).
-- The probes are photos/sql/photo_lookalikes.sql; bench/photo_search_bench.py measures both schemes.
CREATE INDEX photos_phash_hi_idx ON photos (org_id, (substring(phash FROM 1 FOR 32)::int))
    WHERE phash IS NOT NULL AND purpose = 'submission';
CREATE INDEX photos_phash_lo_idx ON photos (org_id, (substring(phash FROM 33 FOR 32)::int))
    WHERE phash IS NOT NULL AND purpose = 'submission';

DROP INDEX photos_phash_pieces_idx;
ALTER TABLE photos DROP COLUMN phash_pieces;
DROP FUNCTION phash_pieces(bit(64));

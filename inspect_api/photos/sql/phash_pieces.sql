-- Reuse search without reading every attached photo of the org (multi-index hashing).
-- The 64-bit perceptual hash is cut into 7 pieces (10 bits, then 6 x 9 bits). Two hashes at most 6
-- bits apart differ in at most 6 pieces, so they agree exactly on at least one (pigeonhole): the
-- candidates are the photos sharing a piece, found through a GIN index, and only those have their
-- exact distance computed. Each piece is tagged with its position (1024 * position + value) so equal
-- values at different positions do not match. Valid for thresholds up to 6 bits (photos/service.py).
--
-- Stored: photos.phash_pieces is a generated column of it, indexed by photos_phash_pieces_idx
-- (migrations/0010). Replacing the function recomputes neither, so a change to what it returns is a
-- numbered migration that also rewrites the column, not an edit here alone.
CREATE OR REPLACE FUNCTION phash_pieces(hash bit(64)) RETURNS int[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY[
                  substring(hash FROM 1 FOR 10)::int,
        1024 * 1 + substring(hash FROM 11 FOR 9)::int,
        1024 * 2 + substring(hash FROM 20 FOR 9)::int,
        1024 * 3 + substring(hash FROM 29 FOR 9)::int,
        1024 * 4 + substring(hash FROM 38 FOR 9)::int,
        1024 * 5 + substring(hash FROM 47 FOR 9)::int,
        1024 * 6 + substring(hash FROM 56 FOR 9)::int
    ]
$$;

-- Issue #14, items 9-11: tokens end when credentials change; a per-account login throttle; e-mails
-- in one canonical form.

-- 1. A user's token generation. Every token carries the generation it was issued under (claim `tv`,
--    auth/tokens.py) and is refused once it differs (auth/principal.py). A trigger, not the service,
--    bumps it, so every write path is covered: a new password hash, or a disabled account enabled
--    again (its tokens from before the disabling must not come back to life). The UPDATE also fires
--    users_principal_changed (migration 0008), whose NOTIFY at commit drops the cached caller in every
--    worker, so the old token is refused from the next request on.
--    Login's transparent re-hash (same password, stronger parameters) sets
--    `inspect_api.same_password` for its transaction and keeps the generation.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

CREATE FUNCTION bump_token_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.password_hash IS DISTINCT FROM OLD.password_hash
            AND current_setting('inspect_api.same_password', true) IS DISTINCT FROM 'on')
       OR (NEW.active AND NOT OLD.active) THEN
        NEW.token_version := GREATEST(NEW.token_version, OLD.token_version + 1);
    ELSIF NEW.token_version < OLD.token_version THEN
        NEW.token_version := OLD.token_version;  -- never back to a generation whose tokens were revoked
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER users_token_version BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION bump_token_version();


-- 2. Login attempts per account, shared by every worker. The key is the SHA-256 of the normalised
--    e-mail (whatever was typed: unknown addresses are throttled alike, and what strangers typed is
--    not kept readable). An attempt is counted before the password is checked (so parallel guesses
--    cannot outrun the count); a successful login deletes the row; past window_ends_at it starts over.
CREATE TABLE login_attempts (
    account_key     bytea PRIMARY KEY,
    attempts        integer NOT NULL,
    window_ends_at  timestamptz NOT NULL
);
CREATE INDEX login_attempts_window_ends_idx ON login_attempts (window_ends_at);


-- 3. E-mails as stored today were only lower-cased. Bring them to the canonical form as far as SQL
--    can (NFKC, lower-case; ß and final ς as Python's case folding writes them). A row whose canonical
--    form is taken (a lookalike of another user) keeps its address: it can no longer log in by it, as
--    login looks up the canonical form, and an admin can see and fix it. normalize() needs a UTF8
--    database.
DO $$
BEGIN
    IF (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()) = 'UTF8' THEN
        WITH canonical AS (
            SELECT id, replace(replace(lower(normalize(email, NFKC)), 'ß', 'ss'), 'ς', 'σ') AS email, created_at
            FROM users
        ), movable AS (
            SELECT c.id, c.email,
                   row_number() OVER (PARTITION BY c.email ORDER BY c.created_at, c.id) AS nth
            FROM canonical c JOIN users u ON u.id = c.id
            WHERE u.email <> c.email AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = c.email)
        )
        UPDATE users u SET email = m.email FROM movable m WHERE u.id = m.id AND m.nth = 1;
    END IF;
END $$;

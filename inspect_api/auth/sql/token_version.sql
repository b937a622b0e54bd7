-- A user's token generation. Every token carries the generation it was issued under (claim `tv`,
-- auth/tokens.py) and is refused once it differs (auth/principal.py). A trigger, not the service,
-- bumps it, so every write path is covered: a new password hash, or a disabled account enabled again
-- (its tokens from before the disabling must not come back to life). The UPDATE also fires
-- users_principal_changed (principal_changed.sql), whose NOTIFY at commit drops the cached caller in
-- every worker, so the old token is refused from the next request on.
-- Login's transparent re-hash (same password, stronger parameters) sets `inspect_api.same_password`
-- for its transaction and keeps the generation.
CREATE OR REPLACE FUNCTION bump_token_version() RETURNS trigger
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

CREATE OR REPLACE TRIGGER users_token_version BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION bump_token_version();

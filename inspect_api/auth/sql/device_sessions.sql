-- Device sessions end with their user's credentials (migrations/0022): disabling a user, a new
-- password or an account enabled again (both bump token_version, token_version.sql) end every live
-- session of the user in the same transaction, whatever the write path (API, CSV import, psql).
-- AFTER UPDATE: sees the token_version the BEFORE trigger settled on.
CREATE OR REPLACE FUNCTION end_device_sessions_with_credentials() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.active AND NOT NEW.active THEN
        UPDATE device_sessions SET ended_at = now(), end_reason = 'user_disabled'
        WHERE user_id = NEW.id AND ended_at IS NULL;
    ELSIF NEW.token_version <> OLD.token_version THEN
        UPDATE device_sessions SET ended_at = now(), end_reason = 'credentials_changed'
        WHERE user_id = NEW.id AND ended_at IS NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER users_end_device_sessions AFTER UPDATE OF active, token_version, password_hash ON users
    FOR EACH ROW EXECUTE FUNCTION end_device_sessions_with_credentials();

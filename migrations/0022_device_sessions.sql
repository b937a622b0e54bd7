-- Issue #17, "Offline phones": device sessions. A login that names a device also gets a long-lived
-- refresh token bound to a session of that device; POST /auth/refresh trades it for a new access token
-- and a new refresh token (rotation). Only SHA-256 hashes of refresh tokens are kept (they are 256-bit
-- random, so a fast hash is enough). Functions and triggers: inspect_api/auth/sql/device_sessions.sql.

CREATE TABLE device_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL,
    user_id         uuid NOT NULL,
    device_name     text NOT NULL CHECK (char_length(device_name) BETWEEN 1 AND 100),
    device_id       text CHECK (char_length(device_id) BETWEEN 1 AND 100),
    -- The user's token generation at login: the session ends when it changes (password change, an
    -- account enabled again), like the access tokens issued under it.
    token_version   integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,  -- sliding: moved on at every refresh
    ended_at        timestamptz,
    end_reason      text CHECK (end_reason IN ('revoked', 'revoked_by_admin', 'refresh_reuse', 'replaced',
                                               'user_disabled', 'credentials_changed')),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX device_sessions_user_idx ON device_sessions (user_id, last_used_at DESC) WHERE ended_at IS NULL;
-- One live session per named device of a user: a new login from it replaces the old one.
CREATE UNIQUE INDEX device_sessions_device_key ON device_sessions (user_id, device_id)
    WHERE ended_at IS NULL AND device_id IS NOT NULL;

-- Every refresh token a session was given, by hash: the current one (rotated_at IS NULL) and the
-- rotated ones, kept so that presenting a rotated token is recognised as reuse (a copy is in other
-- hands: the whole session is revoked, OAuth 2.0 Security BCP 4.14.2) rather than as an unknown token.
CREATE TABLE device_session_tokens (
    token_hash  bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    session_id  uuid NOT NULL REFERENCES device_sessions (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    rotated_at  timestamptz
);
CREATE UNIQUE INDEX device_session_tokens_current_key ON device_session_tokens (session_id) WHERE rotated_at IS NULL;
CREATE INDEX device_session_tokens_session_idx ON device_session_tokens (session_id);

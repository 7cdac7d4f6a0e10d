-- SPDX-License-Identifier: MIT
-- jeton schema v10 (PostgreSQL): accounts an operator can run (issue 15):
-- one-time passwords that must be changed, and sessions a user can see.

-- A one-time password (the first admin's, a reset's) must be changed at
-- the next sign-in before anything else.
ALTER TABLE users ADD COLUMN password_must_change INTEGER NOT NULL DEFAULT 0;

-- What the Account page shows of a session, and its idle timeout.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_user ON sessions(user_id, created_at);
UPDATE sessions SET last_seen_at = created_at;

-- Two-factor sign-in (TOTP, RFC 6238): one authenticator per user, its
-- secret sealed with the key-encryption key, never in clear.
CREATE TABLE totp (
  user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  sealed     BYTEA NOT NULL,              -- nonce + secretbox of the secret
  enabled    INTEGER NOT NULL DEFAULT 0, -- 0: enrolment not confirmed by a code yet
  last_step  BIGINT NOT NULL DEFAULT 0,    -- the last time step accepted: no replay
  created_at BIGINT NOT NULL
);
-- Recovery codes: SHA-256 only, each usable once.
CREATE TABLE recovery_codes (
  code_hash BYTEA PRIMARY KEY,
  user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  used_at   BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);
-- A session between the password and the second factor: it opens nothing.
ALTER TABLE sessions ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
-- Who must use two-factor sign-in: '' nobody, 'admins' or 'all'.
ALTER TABLE policy ADD COLUMN require_2fa TEXT NOT NULL DEFAULT '';

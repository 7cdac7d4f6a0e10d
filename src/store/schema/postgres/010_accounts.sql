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

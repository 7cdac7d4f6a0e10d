-- SPDX-License-Identifier: MIT
-- jeton schema v8 (SQLite): token governance (issue 14): the last use of
-- OAuth tokens, why a token was revoked, and the instance's token policy.

-- An OAuth token's last use, as a PAT's: at most once a minute.
ALTER TABLE oauth_tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE oauth_tokens ADD COLUMN last_used_ip TEXT;
-- Why a token was revoked: NULL for a plain revocation, else a word such
-- as 'leaked' or 'bulk'.
ALTER TABLE oauth_tokens ADD COLUMN revoked_reason TEXT;
ALTER TABLE pats ADD COLUMN revoked_reason TEXT;


-- The instance's policy: one row, one column per rule (0 = no rule), so a
-- new rule is one more column.
CREATE TABLE policy (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  pat_max_lifetime   INTEGER NOT NULL DEFAULT 0, -- seconds; 0 = no limit
  pat_require_expiry INTEGER NOT NULL DEFAULT 0,
  updated_at         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO policy(id) VALUES (1);

-- The admins' inventory of every token, newest first.
CREATE INDEX pats_by_created ON pats(created_at, id);
CREATE INDEX oauth_tokens_by_created ON oauth_tokens(created_at, id);
CREATE INDEX oauth_tokens_by_app ON oauth_tokens(app_id, created_at, id);
CREATE INDEX pats_by_user_created ON pats(user_id, created_at, id);
-- A user's tokens, newest first (the inventory, their authorized apps); it
-- serves whatever oauth_tokens_by_user served.
CREATE INDEX oauth_tokens_by_user_created ON oauth_tokens(user_id, created_at, id);
DROP INDEX oauth_tokens_by_user;

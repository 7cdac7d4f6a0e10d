-- SPDX-License-Identifier: MIT
-- jeton schema v12 (PostgreSQL): token governance, continued (issue 14): JWTs by
-- their jti, and the inventory's expired tokens at a million.

-- The jti of a JWT access token (RFC 9068), for the inventory to show and
-- find; NULL for an opaque token. At most one token per jti.
ALTER TABLE oauth_tokens ADD COLUMN jti TEXT;
CREATE UNIQUE INDEX oauth_tokens_by_jti ON oauth_tokens(jti) WHERE jti IS NOT NULL;

-- The expiry indexes (retention, the inventory's expiring and expired
-- tokens) carry the creation time too: the inventory's expired tokens are
-- found by expiry and ordered by creation, and a page deep in them skips
-- the newer ones inside the index.
DROP INDEX pats_by_expiry;
CREATE INDEX pats_by_expiry ON pats(expires_at, created_at) WHERE expires_at IS NOT NULL;
DROP INDEX oauth_tokens_by_expiry;
CREATE INDEX oauth_tokens_by_expiry ON oauth_tokens(expires_at, created_at);

-- Each device sign-in counts the app's pending ones (at most 1,000 an app,
-- LIMIT_DEVICE_PENDING) in the writer: by app, not by scanning every app's.
CREATE INDEX device_codes_by_app ON device_codes(app_id, expires_at);

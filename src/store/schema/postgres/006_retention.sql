-- SPDX-License-Identifier: MIT
-- jeton schema v6 (PostgreSQL): retention. Indexes that let a purge find what
-- can never be used again without reading whole tables (purge.c). The
-- partial indexes hold only revoked or expiring rows. PostgreSQL
-- reuses the space a purge frees (autovacuum): nothing more to do.

CREATE INDEX auth_codes_by_expiry ON auth_codes(expires_at);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE INDEX pats_by_revocation ON pats(revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX pats_by_expiry ON pats(expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX oauth_tokens_by_revocation ON oauth_tokens(revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX oauth_tokens_by_expiry ON oauth_tokens(expires_at);
CREATE INDEX audit_by_time ON audit(at);

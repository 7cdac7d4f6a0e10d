-- SPDX-License-Identifier: MIT
-- jeton schema v11 (PostgreSQL): clients that never get stuck (issue 16): refresh
-- rotation that survives races and lost responses, PAT rotation with an overlap.

-- Seconds after a refresh token's rotation during which the same token
-- gets the same successor again; 0: none (every reuse is theft).
ALTER TABLE apps ADD COLUMN refresh_grace INTEGER NOT NULL DEFAULT 30;

-- A rotated refresh token's successor (its access and refresh token),
-- sealed with a key derived from the rotated token itself: only its holder
-- can open it. Deleted once the grace window ends.
CREATE TABLE refresh_successors (
  token_id   BIGINT PRIMARY KEY REFERENCES oauth_tokens(id) ON DELETE CASCADE,
  sealed     BYTEA NOT NULL,            -- nonce + secretbox of the successor
  expires_at BIGINT NOT NULL            -- the end of the grace window
);
CREATE INDEX refresh_successors_by_expiry ON refresh_successors(expires_at);

-- A personal access token rotated with an overlap: its secret keeps working
-- until its expires_at (the overlap's end); NULL: not rotated that way.
ALTER TABLE pats ADD COLUMN rotated_at BIGINT;

-- SPDX-License-Identifier: MIT
-- jeton schema v11 (PostgreSQL): clients that never get stuck (issue 16): refresh
-- rotation that survives races and lost responses, PAT rotation with an overlap,
-- the device authorization grant.

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

-- The device authorization grant (RFC 8628): a device's sign-in, pending
-- until its user allows or denies it at /device. Only the codes' SHA-256.
CREATE TABLE device_codes (
  device_hash    BYTEA PRIMARY KEY,         -- SHA-256 of the device_code
  user_code_hash BYTEA NOT NULL UNIQUE,     -- SHA-256 of the user code (8 letters, no dash)
  app_id         BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  scopes         TEXT NOT NULL,
  family_id      BIGINT NOT NULL,           -- every token issued from it carries it
  created_at     BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  poll_interval  BIGINT NOT NULL,           -- seconds; grows by 5 at each slow_down
  polled_at      BIGINT NOT NULL DEFAULT 0,
  decision       TEXT NOT NULL DEFAULT '',  -- '', 'allowed' or 'denied'
  user_id        BIGINT REFERENCES users(id) ON DELETE CASCADE, -- who decided
  space_id       BIGINT NOT NULL DEFAULT 0,
  used_at        BIGINT                     -- the tokens were issued
);
CREATE INDEX device_codes_by_expiry ON device_codes(expires_at);

-- SPDX-License-Identifier: MIT
-- jeton schema v9 (SQLite): leaked tokens, revoked by whoever finds them.

-- Secret scanners whose signed leak reports jeton accepts (GitHub's
-- secret-scanning partner program, or any scanner that signs alike).
CREATE TABLE scanners (
  name       TEXT PRIMARY KEY,
  key_id     TEXT NOT NULL UNIQUE,         -- the key identifier header names it
  public_key TEXT NOT NULL,                -- ECDSA P-256, PEM
  created_at INTEGER NOT NULL
);

-- One row per leaked token, whatever revoked it: why it was revoked and
-- where it was found, for its owner to see. Keyed by the token's hash, so
-- a replayed report adds nothing.
CREATE TABLE token_leaks (
  token_hash  BLOB PRIMARY KEY,              -- SHA-256 of the token
  kind        TEXT NOT NULL,               -- pat | access | refresh | client | secret
  token_id    INTEGER NOT NULL,              -- pats.id, oauth_tokens.id or apps.id
  user_id     INTEGER,                       -- its owner (a secret: the app's); NULL: none
  url         TEXT NOT NULL,               -- where it was found ('' = not said)
  source      TEXT NOT NULL,
  reporter    TEXT NOT NULL,               -- scanner name, app, or 'holder'
  reported_at INTEGER NOT NULL
);
CREATE INDEX token_leaks_by_user ON token_leaks(user_id);

-- A leaked client secret revokes the client-credentials tokens of its app.
CREATE INDEX oauth_tokens_by_app_client ON oauth_tokens(app_id) WHERE user_id IS NULL;

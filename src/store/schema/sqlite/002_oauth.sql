-- SPDX-License-Identifier: MIT
-- jeton schema v2 (SQLite): OAuth apps, authorization codes, OAuth tokens, sessions.

CREATE TABLE apps (
  id             INTEGER PRIMARY KEY,
  client_id      TEXT NOT NULL UNIQUE,
  secret_hash    BLOB,                     -- SHA-256 of the jts_ secret; NULL for public apps
  name           TEXT NOT NULL,
  redirect_uris  TEXT NOT NULL,            -- newline-separated, exact match
  grants         TEXT NOT NULL,            -- space-separated grant types
  scopes         TEXT NOT NULL,            -- space-separated scopes the app may ask for
  public         INTEGER NOT NULL DEFAULT 0,
  access_ttl     INTEGER NOT NULL,         -- seconds
  refresh_ttl    INTEGER NOT NULL,         -- seconds
  rotate_refresh INTEGER NOT NULL DEFAULT 1,
  token_format   TEXT NOT NULL DEFAULT 'opaque',
  owner_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at     INTEGER NOT NULL,
  secret_rotated_at INTEGER
);

CREATE TABLE auth_codes (
  code_hash      BLOB PRIMARY KEY,         -- SHA-256 of the code
  app_id         INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  space_id       INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  redirect_uri   TEXT NOT NULL,
  redirect_given INTEGER NOT NULL,         -- the authorization request named it
  scopes         TEXT NOT NULL,
  challenge      TEXT NOT NULL DEFAULT '', -- PKCE code_challenge, '' = none
  challenge_method TEXT NOT NULL DEFAULT '',
  family_id      INTEGER NOT NULL,         -- the tokens issued from this code
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  used_at        INTEGER
) WITHOUT ROWID;

CREATE TABLE oauth_tokens (
  id          INTEGER PRIMARY KEY,
  token_hash  BLOB NOT NULL UNIQUE,        -- SHA-256 of the token
  kind        TEXT NOT NULL,               -- access | refresh | client
  app_id      INTEGER REFERENCES apps(id) ON DELETE CASCADE, -- NULL: a user's own password grant
  user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE, -- NULL: client credentials
  space_id    INTEGER REFERENCES spaces(id) ON DELETE CASCADE,
  family_id   INTEGER NOT NULL DEFAULT 0,  -- one authorization grant and its refreshes
  scopes      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  rotated_at  INTEGER                      -- refresh tokens: replaced by a newer one
);
CREATE INDEX oauth_tokens_by_family ON oauth_tokens(family_id) WHERE family_id <> 0;
CREATE INDEX oauth_tokens_by_user ON oauth_tokens(user_id);

CREATE TABLE sessions (
  session_hash BLOB PRIMARY KEY,           -- SHA-256 of the cookie value
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  ip           TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

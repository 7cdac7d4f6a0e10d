-- SPDX-License-Identifier: MIT
-- jeton schema v4 (SQLite): signing keys for JWT access tokens.

CREATE TABLE signing_keys (
  kid         TEXT PRIMARY KEY,
  alg         TEXT NOT NULL,                -- EdDSA | ES256 | RS256
  sealed_key  BLOB NOT NULL,                -- private key, sealed with the key-encryption key
  public_jwk  TEXT NOT NULL,                -- published at /.well-known/jwks.json
  created_at  INTEGER NOT NULL,
  retired_at  INTEGER,                      -- stops signing; still published
  unpublish_at INTEGER                      -- after this no token signed by it can be live
) WITHOUT ROWID;

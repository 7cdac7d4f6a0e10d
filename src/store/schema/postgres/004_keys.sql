-- SPDX-License-Identifier: MIT
-- jeton schema v4 (PostgreSQL): signing keys for JWT access tokens.

CREATE TABLE signing_keys (
  kid          TEXT PRIMARY KEY,
  alg          TEXT NOT NULL,               -- EdDSA | ES256 | RS256
  sealed_key   BYTEA NOT NULL,              -- private key, sealed with the key-encryption key
  public_jwk   TEXT NOT NULL,               -- published at /.well-known/jwks.json
  created_at   BIGINT NOT NULL,
  retired_at   BIGINT,                      -- stops signing; still published
  unpublish_at BIGINT                       -- after this no token signed by it can be live
);

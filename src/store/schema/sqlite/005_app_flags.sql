-- SPDX-License-Identifier: MIT
-- jeton schema v5 (SQLite): what an app may do beyond the defaults.

-- PKCE plain (RFC 7636) for this app; every other app must use S256.
ALTER TABLE apps ADD COLUMN allow_pkce_plain INTEGER NOT NULL DEFAULT 0;
-- A resource server: may introspect tokens issued to others, PATs included.
ALTER TABLE apps ADD COLUMN introspect INTEGER NOT NULL DEFAULT 0;

-- SPDX-License-Identifier: MIT
-- jeton schema v1 (SQLite): users, spaces, roles, memberships, personal access tokens.
-- Times are unix seconds (UTC). Secrets are stored only as SHA-256 digests or argon2id strings.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  friendly_name TEXT NOT NULL,
  password_hash TEXT,                       -- argon2id encoded string, NULL = cannot log in
  admin         INTEGER NOT NULL DEFAULT 0,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

CREATE TABLE roles (
  name        TEXT PRIMARY KEY,
  permissions TEXT NOT NULL                 -- space-separated scope names
) WITHOUT ROWID;

INSERT INTO roles(name, permissions) VALUES
  ('viewer', 'read_content'),
  ('editor', 'read_content write_content'),
  ('admin',  'read_content write_content manage_space');

CREATE TABLE spaces (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
  space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role     TEXT NOT NULL REFERENCES roles(name),
  PRIMARY KEY (space_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id);

CREATE TABLE pats (
  id             INTEGER PRIMARY KEY,
  user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  token_hash     BLOB NOT NULL UNIQUE,      -- SHA-256 of the whole token string
  display_prefix TEXT NOT NULL,             -- first 8 characters, e.g. jtp_AbC1
  scopes         TEXT NOT NULL,             -- space-separated
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER,                   -- NULL = never
  last_used_at   INTEGER,
  last_used_ip   TEXT,
  revoked_at     INTEGER
);
CREATE INDEX pats_by_user ON pats(user_id, id);

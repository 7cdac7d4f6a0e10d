-- SPDX-License-Identifier: MIT
-- jeton schema v3 (SQLite): the audit log. Never holds a secret.

CREATE TABLE audit (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,             -- unix seconds
  actor_id  INTEGER NOT NULL DEFAULT 0,   -- the acting user's id, 0 for none
  actor     TEXT NOT NULL,                -- email, client_id, "cli" or the email tried
  action    TEXT NOT NULL,                -- e.g. token.created, login.failed
  target    TEXT NOT NULL DEFAULT '',     -- e.g. "token 12 (ci)"
  ip        TEXT NOT NULL DEFAULT '',
  outcome   TEXT NOT NULL                 -- success | failure
);
CREATE INDEX audit_by_actor ON audit(actor, id);
CREATE INDEX audit_by_action ON audit(action, id);

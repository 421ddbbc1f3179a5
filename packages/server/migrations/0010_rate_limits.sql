-- Requests per credential per minute, shared by every server process. Each process leases a
-- share of a window's limit at a time (last_grant is what the latest lease got) and spends it
-- without asking again. Unlogged: written on the request path, and worth nothing after a crash
-- (a lost count lets that minute start over). Past windows are deleted.
CREATE UNLOGGED TABLE rate_limit_windows (
  account_id bigint NOT NULL,
  credential_id bigint NOT NULL,
  window_start timestamptz NOT NULL,
  requests integer NOT NULL CHECK (requests >= 0),
  last_grant integer NOT NULL CHECK (last_grant >= 0),
  PRIMARY KEY (account_id, credential_id, window_start)
);

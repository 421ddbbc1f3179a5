-- When the request holding a key committed its first write: set inside that write's own
-- transaction, so a key whose answer was lost in a crash is known to have been applied and is
-- never run again.
ALTER TABLE idempotency_keys ADD COLUMN applied_at timestamptz;

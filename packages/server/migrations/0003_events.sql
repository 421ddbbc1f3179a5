-- The transactional outbox: every change writes an event in the same transaction as the change,
-- so an event exists exactly when its change committed. Dispatchers (notifications, webhooks)
-- claim undispatched events with FOR UPDATE SKIP LOCKED, so several processes can share them.
-- contact_id and actor_id carry no foreign keys: an event outlives the records it speaks of.
CREATE TABLE events (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  type text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  actor_id bigint,
  contact_id bigint,
  conversation_id bigint,
  data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;
CREATE INDEX events_of_contact ON events (account_id, contact_id, id) WHERE contact_id IS NOT NULL;

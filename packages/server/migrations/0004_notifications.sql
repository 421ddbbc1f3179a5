-- Notifications: what concerns one user, projected from events by the dispatcher. The unique key
-- makes projection idempotent, so an event handled twice (a crash before it was marked) still
-- notifies once.
CREATE TABLE notifications (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  user_id bigint NOT NULL,
  type text NOT NULL CHECK (type ~ '^[a-z_]+$'),
  event_id bigint NOT NULL,
  actor_id bigint,
  contact_id bigint,
  conversation_id bigint,
  data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
  read_at timestamptz,
  dismissed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, user_id, event_id, type),
  FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_of_user ON notifications (account_id, user_id, id DESC) WHERE dismissed_at IS NULL;

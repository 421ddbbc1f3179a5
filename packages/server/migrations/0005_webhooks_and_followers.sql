-- Dispatchers wake on new events at once instead of waiting for their next poll. NOTIFY is
-- transactional: it is sent on commit, never for a rolled-back change.
CREATE FUNCTION contactd_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('contactd_events', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER events_inserted AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION contactd_events_inserted();

-- Users who follow a contact are notified of what happens to it (see docs/api.md, Notifications).
CREATE TABLE contact_followers (
  account_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  user_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, contact_id, user_id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_followers_of_user ON contact_followers (account_id, user_id);

-- Endpoints an administrator registered. The secret signs deliveries, so it is kept as given to
-- the receiver (an HMAC key cannot be hashed); it is shown only on creation and rotation.
CREATE TABLE webhooks (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
  events text[] NOT NULL CHECK (cardinality(events) > 0),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  include_system_changes boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id)
);

-- One row per (endpoint, event): the unique key makes fan-out idempotent, so an event handled
-- twice still makes one delivery. Deliveries for one contact go out one at a time in id order
-- (ordering_key), and a delivery in flight holds a lease (locked_until) so only one process sends it.
CREATE TABLE webhook_deliveries (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  webhook_id bigint NOT NULL,
  event_id bigint NOT NULL,
  ordering_key bigint,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, webhook_id, event_id),
  FOREIGN KEY (account_id, webhook_id) REFERENCES webhooks (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, event_id) REFERENCES events (account_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_in_order ON webhook_deliveries (account_id, webhook_id, ordering_key, id)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of_webhook ON webhook_deliveries (account_id, webhook_id, id DESC);

-- Every attempt at a delivery, kept for the administrator to inspect.
CREATE TABLE webhook_attempts (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  delivery_id bigint NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error text,
  response_body text,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, delivery_id) REFERENCES webhook_deliveries (account_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_of_delivery ON webhook_attempts (account_id, delivery_id, id);

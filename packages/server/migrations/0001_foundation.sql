-- Foundation: tenancy, credentials, contacts, labels, inboxes, custom attribute definitions.
-- Every table carries account_id and every key starts with it (the distribution column when
-- sharding by account). Text that is sorted or prefix-searched is COLLATE "C": byte order is
-- the same on every server, and a plain btree then serves LIKE 'prefix%'.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
  email text CHECK (email = lower(email)),
  role text NOT NULL CHECK (role IN ('administrator', 'agent')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, email)
);

-- An API credential belongs to one user. `key` is public and globally unique because it is how a
-- request finds its account; the secret is kept only as a salted SHA-256 hash.
CREATE TABLE credentials (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  user_id bigint NOT NULL,
  name text NOT NULL DEFAULT '',
  key text NOT NULL UNIQUE CHECK (key ~ '^[A-Za-z0-9_-]{8,128}$'),
  secret_salt bytea NOT NULL,
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);

CREATE TABLE contacts (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text COLLATE "C" NOT NULL DEFAULT '' CHECK (char_length(name) <= 255),
  email text COLLATE "C" CHECK (email = lower(email) AND char_length(email) <= 320),
  phone_e164 text COLLATE "C" CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$'),
  phone_raw text CHECK (char_length(phone_raw) <= 64),
  identifier text COLLATE "C" CHECK (char_length(identifier) BETWEEN 1 AND 255),
  avatar_url text CHECK (char_length(avatar_url) <= 2048),
  additional_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(additional_attributes) = 'object'),
  custom_attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_attributes) = 'object'),
  blocked boolean NOT NULL DEFAULT false,
  last_activity_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- One lower-cased haystack for substring search. Fields are joined by U+001F, which search
  -- terms never contain, so a match cannot span two fields. Phone is stored as digits only.
  search_text text COLLATE "C" GENERATED ALWAYS AS (
    lower(name) || E'\x1f' || coalesce(email, '') || E'\x1f' || coalesce(substr(phone_e164, 2), '')
    || E'\x1f' || lower(coalesce(identifier, '')) || E'\x1f'
    || lower(coalesce(additional_attributes ->> 'company_name', additional_attributes ->> 'company', ''))
  ) STORED,
  PRIMARY KEY (account_id, id)
);

-- Uniqueness per account (NULLs never clash); each also serves exact lookup, sort and prefix search.
CREATE UNIQUE INDEX contacts_email_key ON contacts (account_id, email);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (account_id, phone_e164);
CREATE UNIQUE INDEX contacts_identifier_key ON contacts (account_id, identifier);
CREATE INDEX contacts_identifier_lower ON contacts (account_id, lower(identifier));
CREATE INDEX contacts_name_order ON contacts (account_id, lower(name), id);
CREATE INDEX contacts_created_order ON contacts (account_id, created_at DESC, id DESC);
CREATE INDEX contacts_activity_order ON contacts (account_id, last_activity_at DESC NULLS LAST, id DESC);
CREATE INDEX contacts_search_trgm ON contacts USING gin (search_text gin_trgm_ops);

CREATE TABLE labels (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text COLLATE "C" NOT NULL CHECK (name = lower(name) AND char_length(name) BETWEEN 1 AND 255),
  color text,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, name)
);

CREATE TABLE contact_labels (
  account_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  label_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, contact_id, label_id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, label_id) REFERENCES labels (account_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_labels_by_label ON contact_labels (account_id, label_id, contact_id);

CREATE TABLE inboxes (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
  channel_type text NOT NULL CHECK (channel_type ~ '^Channel::[A-Za-z]+$'),
  provider text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id)
);

-- A contact's identity inside one inbox.
CREATE TABLE contact_inboxes (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  contact_id bigint NOT NULL,
  inbox_id bigint NOT NULL,
  source_id text NOT NULL CHECK (char_length(source_id) BETWEEN 1 AND 255),
  hmac_verified boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, inbox_id, source_id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, inbox_id) REFERENCES inboxes (account_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_inboxes_by_contact ON contact_inboxes (account_id, contact_id);

CREATE TABLE custom_attribute_definitions (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  attribute_key text COLLATE "C" NOT NULL CHECK (attribute_key ~ '^[a-z0-9_]{1,64}$'),
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 255),
  display_type text NOT NULL
    CHECK (display_type IN ('text', 'number', 'currency', 'percent', 'link', 'date', 'list', 'checkbox')),
  description text,
  list_values jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(list_values) = 'array'),
  regex_pattern text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, attribute_key)
);

-- Responses to POSTs that carried an Idempotency-Key, replayed on retry for 24 hours.
CREATE TABLE idempotency_keys (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  fingerprint text NOT NULL,
  status_code integer,
  response_body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

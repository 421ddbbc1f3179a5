-- Linked records: conversations and their labels, the activity history, comments with mentions,
-- files and avatars. Bytes live in the blob store; rows hold their keys.

CREATE TABLE conversations (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  contact_id bigint NOT NULL,
  inbox_id bigint NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved', 'snoozed')),
  assignee_id bigint,
  snoozed_until timestamptz,
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, inbox_id) REFERENCES inboxes (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, assignee_id) REFERENCES users (account_id, id) ON DELETE SET NULL (assignee_id)
);
CREATE INDEX conversations_of_contact ON conversations (account_id, contact_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_by_activity ON conversations (account_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_of_inbox ON conversations (account_id, inbox_id);
CREATE INDEX conversations_of_assignee ON conversations (account_id, assignee_id) WHERE assignee_id IS NOT NULL;

CREATE TABLE conversation_labels (
  account_id bigint NOT NULL,
  conversation_id bigint NOT NULL,
  label_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, conversation_id, label_id),
  FOREIGN KEY (account_id, conversation_id) REFERENCES conversations (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, label_id) REFERENCES labels (account_id, id) ON DELETE CASCADE
);

-- What happened to a contact and its conversations, written in the same transaction as the change.
-- conversation_id is set for a conversation's own log and null for the contact's.
CREATE TABLE activities (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  contact_id bigint NOT NULL,
  conversation_id bigint,
  action text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
  actor_id bigint,
  details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, conversation_id) REFERENCES conversations (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, actor_id) REFERENCES users (account_id, id) ON DELETE SET NULL (actor_id)
);
CREATE INDEX activities_of_contact ON activities (account_id, contact_id, id DESC);
CREATE INDEX activities_of_conversation ON activities (account_id, conversation_id, id DESC)
  WHERE conversation_id IS NOT NULL;

-- Internal notes on a contact.
CREATE TABLE comments (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  contact_id bigint NOT NULL,
  author_id bigint,
  text text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 20000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, author_id) REFERENCES users (account_id, id) ON DELETE SET NULL (author_id)
);
CREATE INDEX comments_of_contact ON comments (account_id, contact_id, created_at DESC, id DESC);

CREATE TABLE comment_mentions (
  account_id bigint NOT NULL,
  comment_id bigint NOT NULL,
  user_id bigint NOT NULL,
  PRIMARY KEY (account_id, comment_id, user_id),
  FOREIGN KEY (account_id, comment_id) REFERENCES comments (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX comment_mentions_of_user ON comment_mentions (account_id, user_id);

-- Files attached to a contact; the bytes are in the blob store under storage_key.
CREATE TABLE files (
  account_id bigint NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  contact_id bigint NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
  content_type text NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL UNIQUE,
  uploaded_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id) ON DELETE CASCADE,
  FOREIGN KEY (account_id, uploaded_by) REFERENCES users (account_id, id) ON DELETE SET NULL (uploaded_by)
);
CREATE INDEX files_of_contact ON files (account_id, contact_id, id DESC);

-- Uploaded images served publicly at /avatars/<key>: the key is long and random, so the URL is
-- stable and unguessable. A contact's uploaded avatar is named by contacts.avatar_key.
CREATE TABLE avatars (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  key text NOT NULL UNIQUE CHECK (key ~ '^[A-Za-z0-9_-]{16,64}$'),
  content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
  size bigint NOT NULL CHECK (size >= 0),
  sha256 text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
ALTER TABLE contacts ADD COLUMN avatar_key text;

-- Where merged-away contacts went: a request for a merged-away id answers 410 naming the survivor.
-- into_id always names the final survivor (a later merge of the survivor re-points these rows).
CREATE TABLE contact_merges (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  merged_id bigint NOT NULL,
  into_id bigint NOT NULL CHECK (into_id <> merged_id),
  actor_id bigint,
  merged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, merged_id)
);
CREATE INDEX contact_merges_into ON contact_merges (account_id, into_id);

-- Administrators may always merge; agents may unless an administrator withdraws it.
ALTER TABLE accounts ADD COLUMN agents_can_merge boolean NOT NULL DEFAULT true;

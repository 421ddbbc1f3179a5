-- Large exports run in the background; the finished file stays downloadable from storage.
CREATE TABLE export_jobs (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  user_id bigint NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  options jsonb NOT NULL CHECK (jsonb_typeof(options) = 'object'),
  blob_key text,
  byte_size bigint,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX export_jobs_due ON export_jobs (created_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX export_jobs_of_account ON export_jobs (account_id, id DESC);

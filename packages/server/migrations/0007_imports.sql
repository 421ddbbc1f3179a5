-- CSV imports run as background jobs. A worker claims a due job with FOR UPDATE SKIP LOCKED and a
-- lease (locked_until); each batch of rows commits together with the checkpoint (last_row and the
-- counts), so a crashed import resumes after its last committed batch. `attempts` also fences a
-- worker whose lease ran out: its writes are refused once another worker has claimed the job.
CREATE TABLE imports (
  account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  -- No foreign key: the job's record outlives the user who started it.
  user_id bigint,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  dry_run boolean NOT NULL DEFAULT false,
  options jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
  blob_key text NOT NULL,
  file_name text NOT NULL,
  byte_size bigint NOT NULL CHECK (byte_size >= 0),
  header jsonb,
  total_rows integer NOT NULL DEFAULT 0,
  processed_rows integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  skipped_count integer NOT NULL DEFAULT 0,
  failed_count integer NOT NULL DEFAULT 0,
  -- The file's row number (header = 1) up to which rows are done.
  last_row integer NOT NULL DEFAULT 1,
  error_code text,
  error text,
  locked_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX imports_due ON imports (created_at, id) WHERE status IN ('queued', 'running');

-- The rows an import skipped or failed, with their original cells, for the failed-rows report.
CREATE TABLE import_rows (
  account_id bigint NOT NULL,
  import_id bigint NOT NULL,
  row_number integer NOT NULL,
  result text NOT NULL CHECK (result IN ('skipped', 'failed')),
  reason text NOT NULL,
  message text NOT NULL,
  cells jsonb NOT NULL CHECK (jsonb_typeof(cells) = 'array'),
  PRIMARY KEY (account_id, import_id, row_number),
  FOREIGN KEY (account_id, import_id) REFERENCES imports (account_id, id) ON DELETE CASCADE
);

-- Keys (identifier, email, phone, matched contact id) of rows already taken by a running import,
-- so a later row repeating one is reported as a duplicate, even after a resume. Emptied at the end.
CREATE TABLE import_keys (
  account_id bigint NOT NULL,
  import_id bigint NOT NULL,
  kind text NOT NULL,
  value text COLLATE "C" NOT NULL,
  row_number integer NOT NULL,
  PRIMARY KEY (account_id, import_id, kind, value),
  FOREIGN KEY (account_id, import_id) REFERENCES imports (account_id, id) ON DELETE CASCADE
);

import { Readable } from "node:stream";
import { newBlobKey } from "../../store/blobs.js";
import {
  claimExportJob,
  type ExportJobRow,
  findExportJob,
  finishExportJob,
  insertExportJob,
  listExportJobs,
  renewExportLease,
} from "../../store/export-jobs.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { recordEvents } from "../events/record.js";
import { type ContactsCsvOptions, checkContactsCsvOptions, contactsCsv } from "./contacts-csv.js";

/**
 * Exports run in the background for files too large to wait for: the CSV is written to storage
 * and stays downloadable; the user who asked is notified (export.ready). A user sees their own
 * exports; administrators see all of the account's.
 */

export interface ExportJob {
  id: number;
  userId: number;
  status: ExportJobRow["status"];
  options: ContactsCsvOptions;
  byteSize: number | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Renewed by a heartbeat while the export runs, however long it takes; a worker that stops
 * renewing it (crashed) hands the job on within two minutes.
 */
const LEASE_MS = 2 * 60 * 1000;
const HEARTBEAT_MS = LEASE_MS / 4;
const MAX_ATTEMPTS = 3;

export async function requestExport(deps: CoreDeps, actor: Actor, options: ContactsCsvOptions): Promise<ExportJob> {
  checkContactsCsvOptions(options);
  const row = await deps.db.transaction((tx) => insertExportJob(tx, actor.accountId, actor.userId, { ...options }));
  return toExportJob(row);
}

export async function getExportJob(deps: CoreDeps, actor: Actor, id: number): Promise<ExportJob> {
  return toExportJob(await visibleJob(deps, actor, id));
}

export async function listExports(
  deps: CoreDeps,
  actor: Actor,
  input: { limit?: number; skip?: number },
): Promise<{ data: ExportJob[]; hasMore: boolean }> {
  const limit = checkLimit(input.limit);
  const rows = await listExportJobs(deps.db, actor.accountId, ownerFilter(actor), {
    limit: limit + 1,
    skip: input.skip ?? 0,
  });
  return { data: rows.slice(0, limit).map(toExportJob), hasMore: rows.length > limit };
}

/** The finished file; asking before it is ready is a 409 naming the status. */
export async function downloadExport(
  deps: CoreDeps,
  actor: Actor,
  id: number,
): Promise<{ stream: Readable; byteSize: number; filename: string }> {
  const job = await visibleJob(deps, actor, id);
  if (job.status !== "succeeded" || job.blob_key === null) {
    throw new ConflictError("export_not_ready", `The export is ${job.status}, not ready to download`);
  }
  const stream = await deps.blobs.read(job.blob_key);
  if (!stream) throw new NotFoundError("export_file");
  const day = (job.finished_at ?? job.created_at).toISOString().slice(0, 10);
  return { stream, byteSize: Number(job.byte_size ?? 0), filename: `contacts-${day}-${job.id}.csv` };
}

/** Runs queued exports (and ones whose worker died) until none is left; what the background loop calls. */
export async function runDueExports(deps: CoreDeps, options: { accountId?: number } = {}): Promise<number> {
  let done = 0;
  const claim = () => claimExportJob(deps.db, LEASE_MS, options.accountId);
  for (let job = await claim(); job; job = await claim()) {
    const claimed = job;
    const heartbeat = setInterval(() => {
      renewExportLease(deps.db, claimed, LEASE_MS).catch(() => {});
    }, HEARTBEAT_MS);
    try {
      await runExport(deps, job);
    } finally {
      clearInterval(heartbeat);
    }
    done++;
  }
  return done;
}

async function runExport(deps: CoreDeps, job: ExportJobRow): Promise<void> {
  const actor: Actor = { accountId: job.account_id, userId: job.user_id, role: "agent", credentialId: 0 };
  try {
    if (job.attempts > MAX_ATTEMPTS) throw new Error(`gave up after ${MAX_ATTEMPTS} attempts`);
    const csv = await contactsCsv(deps, actor, job.options as ContactsCsvOptions);
    const staged = await deps.blobs.stage(Readable.from(csv), { maxBytes: Number.MAX_SAFE_INTEGER });
    const key = newBlobKey("exports");
    await deps.blobs.commit(staged, key);
    const finished = await deps.db.transaction(async (tx) => {
      const ok = await finishExportJob(tx, job, { status: "succeeded", blobKey: key, byteSize: staged.size });
      if (ok) {
        await recordEvents(tx, job.account_id, [
          {
            type: "export.ready",
            actorId: job.user_id,
            contactId: null,
            data: { export_id: String(job.id), byte_size: staged.size },
          },
        ]);
      }
      return ok;
    });
    // Another worker took the job over meanwhile: its file is the one kept.
    if (!finished) await deps.blobs.delete(key);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.db.transaction(async (tx) => {
      if (!(await finishExportJob(tx, job, { status: "failed", error: message }))) return;
      await recordEvents(tx, job.account_id, [
        {
          type: "export.failed",
          actorId: job.user_id,
          contactId: null,
          data: { export_id: String(job.id), error: message },
        },
      ]);
    });
  }
}

async function visibleJob(deps: CoreDeps, actor: Actor, id: number): Promise<ExportJobRow> {
  const job = await findExportJob(deps.db, actor.accountId, id, ownerFilter(actor));
  if (!job) throw new NotFoundError("export");
  return job;
}

function ownerFilter(actor: Actor): number | null {
  return actor.role === "administrator" ? null : actor.userId;
}

function toExportJob(row: ExportJobRow): ExportJob {
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    options: row.options as ContactsCsvOptions,
    byteSize: row.byte_size === null ? null : Number(row.byte_size),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

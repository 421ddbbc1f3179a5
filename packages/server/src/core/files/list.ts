import { contactExists, findFile, listFiles as listFileRows } from "../../store/files.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import type { ContactFile, FilePage, FilePageInput } from "./file.js";

export async function listFiles(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: FilePageInput,
): Promise<FilePage> {
  const limit = checkLimit(input.limit);
  if (!(await contactExists(deps.db, actor.accountId, contactId))) throw new NotFoundError("contact");
  const rows = await listFileRows(deps.db, actor.accountId, contactId, { limit: limit + 1, skip: input.skip ?? 0 });
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function getFile(deps: CoreDeps, actor: Actor, contactId: number, fileId: number): Promise<ContactFile> {
  const file = await findFile(deps.db, actor.accountId, contactId, fileId);
  if (!file) throw new NotFoundError("file");
  return file;
}

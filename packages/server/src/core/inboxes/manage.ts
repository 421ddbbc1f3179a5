import * as store from "../../store/inboxes.js";
import { type Actor, requireAdministrator } from "../actor.js";
import { normalizeName } from "../contacts/normalize.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { CHANNEL_TYPES, channelTypeOf, type Inbox, toInbox } from "./inbox.js";

/** Administrators create, rename and remove inboxes; everyone may read them. */

export interface InboxInput {
  name?: string;
  channelType?: string;
  provider?: string | null;
}

export async function createInbox(deps: CoreDeps, actor: Actor, input: InboxInput): Promise<Inbox> {
  requireAdministrator(actor);
  const errors = new FieldErrors();
  const name = normalizeName(input.name ?? "", errors);
  if (name === "") errors.add("name", "required", "give the inbox a name");
  const channelType = channelTypeOf(input.channelType ?? "");
  if (channelType === null) errors.add("channel_type", "invalid_value", `must be one of ${CHANNEL_TYPES.join(", ")}`);
  const provider = providerOf(input.provider, errors);
  errors.throwIfAny();
  const columns = { name, channelType: channelType as string, provider };
  return toInbox(await deps.db.transaction((tx) => store.insertInbox(tx, actor.accountId, columns)));
}

export async function updateInbox(deps: CoreDeps, actor: Actor, id: number, input: InboxInput): Promise<Inbox> {
  requireAdministrator(actor);
  const current = await store.findInbox(deps.db, actor.accountId, id);
  if (!current) throw new NotFoundError("inbox");
  const errors = new FieldErrors();
  if (input.channelType !== undefined && channelTypeOf(input.channelType) !== current.channel_type) {
    errors.add("channel_type", "immutable", "an inbox's channel cannot change");
  }
  const name = input.name === undefined ? current.name : normalizeName(input.name, errors);
  if (name === "") errors.add("name", "required", "give the inbox a name");
  const provider = input.provider === undefined ? current.provider : providerOf(input.provider, errors);
  errors.throwIfAny();
  const updated = await store.updateInbox(deps.db, actor.accountId, id, { name, provider });
  if (!updated) throw new NotFoundError("inbox");
  return toInbox(updated);
}

export async function deleteInbox(deps: CoreDeps, actor: Actor, id: number): Promise<void> {
  requireAdministrator(actor);
  if (!(await store.deleteInbox(deps.db, actor.accountId, id))) throw new NotFoundError("inbox");
}

export async function getInbox(deps: CoreDeps, actor: Actor, id: number): Promise<Inbox> {
  const row = await store.findInbox(deps.db, actor.accountId, id);
  if (!row) throw new NotFoundError("inbox");
  return toInbox(row);
}

export async function listInboxes(deps: CoreDeps, actor: Actor): Promise<Inbox[]> {
  return (await store.listInboxes(deps.db, actor.accountId)).map(toInbox);
}

function providerOf(value: string | null | undefined, errors: FieldErrors): string | null {
  const provider = value?.trim() || null;
  if (provider !== null && !/^[A-Za-z0-9_.-]{1,64}$/.test(provider)) {
    errors.add("provider", "invalid_value", "must be 1 to 64 letters, digits, dots, dashes or underscores");
  }
  return provider;
}

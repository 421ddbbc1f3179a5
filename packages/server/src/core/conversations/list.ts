import { findContact } from "../../store/contacts.js";
import { countConversations, findConversation, listConversations as listRows } from "../../store/conversations.js";
import type { Actor } from "../actor.js";
import { checkLimit } from "../contacts/list.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { channelTypeOf } from "../inboxes/inbox.js";
import { type Conversation, toConversation } from "./conversation.js";
import { checkStatus } from "./fields.js";

export interface ConversationListInput {
  contactId?: number;
  /** Full (Channel::Whatsapp) or short (whatsapp, web, email, sms, api...) channel names. */
  channelTypes?: string[];
  statuses?: string[];
  assigneeId?: number;
  inboxId?: number;
  limit?: number;
  skip?: number;
  /** Also count every conversation the filters match (one more query). */
  withTotal?: boolean;
}

export interface ConversationPage {
  data: Conversation[];
  hasMore: boolean;
  /** Set when asked for with `withTotal`. */
  total?: number;
}

export async function getConversation(deps: CoreDeps, actor: Actor, id: number): Promise<Conversation> {
  const row = await findConversation(deps.db, actor.accountId, id);
  if (!row) throw new NotFoundError("conversation");
  return toConversation(row);
}

/** Newest activity first; a contact's own list 404s when the contact is not in the account. */
export async function listConversations(
  deps: CoreDeps,
  actor: Actor,
  input: ConversationListInput,
): Promise<ConversationPage> {
  const limit = checkLimit(input.limit);
  const errors = new FieldErrors();
  const channelTypes = (input.channelTypes ?? []).map((name) => {
    const type = channelTypeOf(name);
    if (type === null) errors.add("channel_types", "invalid_value", `unknown channel type "${name}"`);
    return type as string;
  });
  for (const status of input.statuses ?? []) checkStatus(status, errors);
  errors.throwIfAny();
  if (input.contactId !== undefined && !(await findContact(deps.db, actor.accountId, input.contactId))) {
    throw new NotFoundError("contact");
  }
  const filter = {
    contactId: input.contactId,
    channelTypes,
    statuses: input.statuses,
    assigneeId: input.assigneeId,
    inboxId: input.inboxId,
  };
  const [rows, total] = await Promise.all([
    listRows(deps.db, actor.accountId, { ...filter, limit: limit + 1, skip: input.skip ?? 0 }),
    input.withTotal ? countConversations(deps.db, actor.accountId, filter) : undefined,
  ]);
  return {
    data: rows.slice(0, limit).map(toConversation),
    hasMore: rows.length > limit,
    ...(total === undefined ? {} : { total }),
  };
}

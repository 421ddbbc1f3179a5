import { randomUUID } from "node:crypto";
import {
  type ContactInboxRow,
  findContactInbox,
  findContactInboxBySource,
  insertContactInbox,
} from "../../store/contact-inboxes.js";
import { findContact } from "../../store/contacts.js";
import { isPgError, PG_UNIQUE_VIOLATION, type Queryable } from "../../store/database.js";
import { findInbox } from "../../store/inboxes.js";
import type { Actor } from "../actor.js";
import type { Contact } from "../contacts/contact.js";
import type { CoreDeps } from "../deps.js";
import { ConflictError, FieldErrors, NotFoundError } from "../errors.js";
import { recordChanges } from "../events/record.js";
import type { ChannelType } from "./inbox.js";

/** A contact's identity in one inbox: the id the channel knows the contact by. */
export interface ContactInbox {
  id: number;
  contactId: number;
  sourceId: string;
  hmacVerified: boolean;
  inbox: { id: number; name: string; channelType: string; provider: string | null };
  createdAt: Date;
}

export function toContactInbox(row: ContactInboxRow): ContactInbox {
  return {
    id: row.id,
    contactId: row.contact_id,
    sourceId: row.source_id,
    hmacVerified: row.hmac_verified,
    inbox: { id: row.inbox_id, name: row.inbox_name, channelType: row.channel_type, provider: row.provider },
    createdAt: row.created_at,
  };
}

export interface AttachInput {
  inboxId: number;
  sourceId?: string | null;
  hmacVerified?: boolean;
}

export async function attachContactToInbox(
  deps: CoreDeps,
  actor: Actor,
  contactId: number,
  input: AttachInput,
): Promise<ContactInbox> {
  return withSourceUniqueness(deps.db, actor.accountId, input, () =>
    deps.db.transaction(async (tx) => {
      const contact = await findContact(tx, actor.accountId, contactId, { forUpdate: true });
      if (!contact) throw new NotFoundError("contact");
      return attachInTransaction(tx, actor, contact, input);
    }),
  );
}

/** Inside an open transaction (contact create uses it too): validates, derives the source id, records it. */
export async function attachInTransaction(
  tx: Queryable,
  actor: Actor,
  contact: Contact,
  input: AttachInput,
): Promise<ContactInbox> {
  const inbox = await findInbox(tx, actor.accountId, input.inboxId);
  if (!inbox) throw new NotFoundError("inbox");
  const sourceId = sourceIdFor(inbox.channel_type as ChannelType, contact, input.sourceId);
  const id = await insertContactInbox(tx, actor.accountId, {
    contactId: contact.id,
    inboxId: inbox.id,
    sourceId,
    hmacVerified: input.hmacVerified ?? false,
  });
  await recordChanges(tx, actor.accountId, [
    {
      contactId: contact.id,
      action: "contact_inbox.created",
      actorId: actor.userId,
      details: { inbox_id: String(inbox.id), channel_type: inbox.channel_type, source_id: sourceId },
    },
  ]);
  return toContactInbox((await findContactInbox(tx, actor.accountId, id)) as ContactInboxRow);
}

/**
 * The source id given, or one derived from the channel: the email for email inboxes, the phone
 * for SMS (WhatsApp: without +), a new UUID for API and web inboxes. Other channels need one given.
 */
function sourceIdFor(channel: ChannelType, contact: Contact, given: string | null | undefined): string {
  const errors = new FieldErrors();
  const sourceId = given?.trim();
  if (sourceId) {
    if (sourceId.length > 255 || /[\u0000-\u001f]/.test(sourceId)) {
      errors.add("source_id", "invalid_value", "must be 1 to 255 characters with no control characters");
    }
    errors.throwIfAny();
    return sourceId;
  }
  const derived = derivedSourceId(channel, contact);
  if (derived === null) {
    errors.add("source_id", "required", `give a source_id: it cannot be derived for ${channel} from this contact`);
    errors.throwIfAny();
  }
  return derived as string;
}

/** The id a channel knows a contact by, from the contact itself (a new one for API and web channels). */
export function derivedSourceId(channel: ChannelType, contact: Contact): string | null {
  switch (channel) {
    case "Channel::Email":
      return contact.email;
    case "Channel::Sms":
    case "Channel::TwilioSms":
    case "Channel::Voice":
      return contact.phoneNumber;
    case "Channel::Whatsapp":
      return contact.phoneNumber?.slice(1) ?? null;
    case "Channel::Api":
    case "Channel::WebWidget":
      return randomUUID();
    default:
      return null;
  }
}

/** A clash on (inbox, source id) names the contact that already holds that identity. */
export async function withSourceUniqueness<T>(
  db: Queryable,
  accountId: number,
  input: { inboxId?: number; sourceId?: string | null },
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (
      !isPgError(error, PG_UNIQUE_VIOLATION) ||
      error.constraint !== "contact_inboxes_account_id_inbox_id_source_id_key"
    ) {
      throw error;
    }
    const holder =
      input.inboxId !== undefined && input.sourceId
        ? await findContactInboxBySource(db, accountId, input.inboxId, input.sourceId.trim())
        : null;
    throw new ConflictError(
      "source_id_taken",
      "Another contact already has this source id in this inbox",
      "source_id",
      holder?.contact_id,
    );
  }
}

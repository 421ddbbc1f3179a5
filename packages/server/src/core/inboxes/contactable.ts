import { randomUUID } from "node:crypto";
import { contactInboxesOf } from "../../store/contact-inboxes.js";
import { findContact } from "../../store/contacts.js";
import { listInboxes } from "../../store/inboxes.js";
import type { Actor } from "../actor.js";
import type { Contact } from "../contacts/contact.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import { derivedSourceId } from "./contact-inbox.js";
import { type ChannelType, type Inbox, toInbox } from "./inbox.js";

/** An inbox a contact could be reached through now, and the source id it would be reached on. */
export interface ContactableInbox {
  sourceId: string;
  inbox: Inbox;
}

/**
 * The account's inboxes that can reach the contact, each with the source id to use: what the
 * contact's data offers for that channel, or the identity the contact already has there. Inboxes
 * with nothing to offer are left out. Every member of the account sees every inbox.
 */
export async function contactableInboxes(deps: CoreDeps, actor: Actor, contactId: number): Promise<ContactableInbox[]> {
  const contact = await findContact(deps.db, actor.accountId, contactId);
  if (!contact) throw new NotFoundError("contact");
  const [inboxes, identities] = await Promise.all([
    listInboxes(deps.db, actor.accountId),
    contactInboxesOf(deps.db, actor.accountId, [contactId]),
  ]);
  // Identities come oldest first, so the last one seen per inbox is the latest.
  const latest = new Map(identities.map((identity) => [identity.inbox_id, identity.source_id]));
  const offered: ContactableInbox[] = [];
  for (const inbox of inboxes.map(toInbox)) {
    const sourceId = sourceIdOn(inbox.channelType, contact, latest.get(inbox.id));
    if (sourceId) offered.push({ sourceId, inbox });
  }
  return offered;
}

function sourceIdOn(channel: ChannelType, contact: Contact, existing: string | undefined): string | null {
  // Not stored: a new API identity is made only when a conversation starts on it.
  if (channel === "Channel::Api") return existing ?? randomUUID();
  // A web visitor can only be reached in a session it already has.
  if (channel === "Channel::WebWidget") return existing ?? null;
  return derivedSourceId(channel, contact);
}

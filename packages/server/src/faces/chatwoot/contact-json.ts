import type { Contact } from "../../core/contacts/contact.js";
import type { ContactInbox } from "../../core/inboxes/contact-inbox.js";
import { absoluteUrl } from "../../http/urls.js";

/**
 * A contact as Chatwoot's API v1 renders it, which EngageLab LiveDesk's v2 shares: integer ids,
 * epoch-second times left out when null, `thumbnail: ""` without an avatar, and attribute hashes
 * and `blocked` never null (the Python SDK's models reject nulls there).
 */
export function chatwootContact(contact: Contact, base: string) {
  return {
    additional_attributes: contact.additionalAttributes,
    availability_status: "offline" as const,
    email: contact.email,
    id: contact.id,
    name: contact.name,
    phone_number: contact.phoneNumber,
    blocked: contact.blocked,
    identifier: contact.identifier,
    thumbnail: absoluteUrl(base, contact.avatarUrl) ?? "",
    custom_attributes: contact.customAttributes,
    ...epoch("last_activity_at", contact.lastActivityAt),
    created_at: epochSeconds(contact.createdAt),
    ...(contact.contactInboxes ? { contact_inboxes: contact.contactInboxes.map(chatwootContactInbox) } : {}),
  };
}

/** `{source_id, inbox}` with the inbox in Chatwoot's slim shape; a channel is an inbox here, so channel_id = id. */
export function chatwootContactInbox(contactInbox: Pick<ContactInbox, "sourceId" | "inbox">) {
  return { source_id: contactInbox.sourceId, inbox: chatwootInboxSlim(contactInbox.inbox) };
}

export function chatwootInboxSlim(inbox: { id: number; name: string; channelType: string; provider: string | null }) {
  return {
    id: inbox.id,
    avatar_url: "",
    channel_id: inbox.id,
    name: inbox.name,
    channel_type: inbox.channelType,
    provider: inbox.provider,
  };
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** `{key: seconds}`, or nothing when the time is unset: Chatwoot leaves such keys out. */
export function epoch<K extends string>(key: K, date: Date | null): { [P in K]?: number } {
  return date === null ? {} : ({ [key]: epochSeconds(date) } as { [P in K]?: number });
}

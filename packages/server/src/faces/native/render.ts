import type { ApiKey, IssuedApiKey, User } from "../../core/auth/keys.js";
import type { Contact } from "../../core/contacts/contact.js";
import type { Label } from "../../core/labels/list.js";

/** Domain objects in the native wire format: snake_case, string ids, ISO 8601 times. */

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function renderContact(contact: Contact) {
  return {
    object_name: "contact" as const,
    id: String(contact.id),
    organization_id: String(contact.accountId),
    display_name: contact.name,
    name: contact.name,
    email: contact.email,
    phone_number: contact.phoneNumber,
    phone_number_raw: contact.phoneRaw,
    identifier: contact.identifier,
    avatar_url: contact.avatarUrl,
    additional_attributes: contact.additionalAttributes,
    custom_attributes: contact.customAttributes,
    blocked: contact.blocked,
    labels: contact.labels,
    last_activity_at: iso(contact.lastActivityAt),
    created_at: contact.createdAt.toISOString(),
    updated_at: contact.updatedAt.toISOString(),
  };
}

export function renderList<T>(data: T[], hasMore: boolean, nextCursor: string | null = null) {
  return { object_name: "list" as const, data, has_more: hasMore, next_cursor: nextCursor };
}

export function renderLabel(label: Label) {
  return {
    object_name: "label" as const,
    id: String(label.id),
    name: label.name,
    color: label.color,
    description: label.description,
    contacts_count: label.contactsCount,
    created_at: label.createdAt.toISOString(),
  };
}

export function renderUser(user: User) {
  return {
    object_name: "user" as const,
    id: String(user.id),
    organization_id: String(user.accountId),
    name: user.name,
    email: user.email,
    role: user.role,
    created_at: user.createdAt.toISOString(),
  };
}

export function renderApiKey(apiKey: ApiKey | IssuedApiKey) {
  return {
    object_name: "api_key" as const,
    id: String(apiKey.id),
    organization_id: String(apiKey.accountId),
    user_id: String(apiKey.userId),
    name: apiKey.name,
    key: apiKey.key,
    role: apiKey.role,
    created_at: apiKey.createdAt.toISOString(),
    revoked_at: iso(apiKey.revokedAt),
    ...("secret" in apiKey ? { secret: apiKey.secret, token: apiKey.token } : {}),
  };
}

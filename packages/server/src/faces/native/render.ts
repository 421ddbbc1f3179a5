import type { Activity } from "../../core/activities/activity.js";
import type { ApiKey, IssuedApiKey, User } from "../../core/auth/keys.js";
import type { Comment } from "../../core/comments/comment.js";
import type { Contact } from "../../core/contacts/contact.js";
import type { Conversation } from "../../core/conversations/conversation.js";
import type { ContactFile } from "../../core/files/file.js";
import type { Follower } from "../../core/followers/follow.js";
import type { ContactInbox } from "../../core/inboxes/contact-inbox.js";
import type { Inbox } from "../../core/inboxes/inbox.js";
import type { Label } from "../../core/labels/list.js";
import type { Notification } from "../../core/notifications/notification.js";
import type { Attempt, Delivery } from "../../core/webhooks/deliveries.js";
import type { Webhook } from "../../core/webhooks/webhook.js";
import { absoluteUrl } from "../../http/urls.js";

/** Domain objects in the native wire format: snake_case, string ids, ISO 8601 times. */

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/** `base` is the public origin: an uploaded avatar is stored as a path and handed out as an absolute URL. */
export function renderContact(contact: Contact, base: string) {
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
    avatar_url: absoluteUrl(base, contact.avatarUrl),
    additional_attributes: contact.additionalAttributes,
    custom_attributes: contact.customAttributes,
    blocked: contact.blocked,
    labels: contact.labels,
    last_activity_at: iso(contact.lastActivityAt),
    created_at: contact.createdAt.toISOString(),
    updated_at: contact.updatedAt.toISOString(),
    ...(contact.contactInboxes ? { contact_inboxes: contact.contactInboxes.map(renderContactInbox) } : {}),
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

// ---- Linked records --------------------------------------------------------------------------

export function renderContactInbox(contactInbox: ContactInbox) {
  return {
    object_name: "contact_inbox" as const,
    id: String(contactInbox.id),
    contact_id: String(contactInbox.contactId),
    source_id: contactInbox.sourceId,
    hmac_verified: contactInbox.hmacVerified,
    inbox: {
      id: String(contactInbox.inbox.id),
      name: contactInbox.inbox.name,
      channel_type: contactInbox.inbox.channelType,
      provider: contactInbox.inbox.provider,
    },
    created_at: contactInbox.createdAt.toISOString(),
  };
}

export function renderInbox(inbox: Inbox) {
  return {
    object_name: "inbox" as const,
    id: String(inbox.id),
    organization_id: String(inbox.accountId),
    name: inbox.name,
    channel_type: inbox.channelType,
    provider: inbox.provider,
    created_at: inbox.createdAt.toISOString(),
    updated_at: inbox.updatedAt.toISOString(),
  };
}

const person = (p: { id: number; name: string } | null) => (p === null ? null : { id: String(p.id), name: p.name });

export function renderConversation(conversation: Conversation) {
  return {
    object_name: "conversation" as const,
    id: String(conversation.id),
    organization_id: String(conversation.accountId),
    contact_id: String(conversation.contactId),
    inbox: {
      id: String(conversation.inbox.id),
      name: conversation.inbox.name,
      channel_type: conversation.inbox.channelType,
    },
    channel_type: conversation.inbox.channelType,
    status: conversation.status,
    assignee: person(conversation.assignee),
    snoozed_until: iso(conversation.snoozedUntil),
    labels: conversation.labels,
    last_activity_at: conversation.lastActivityAt.toISOString(),
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
  };
}

export function renderActivity(activity: Activity) {
  return {
    object_name: "activity" as const,
    id: String(activity.id),
    contact_id: String(activity.contactId),
    conversation_id: activity.conversationId === null ? null : String(activity.conversationId),
    action: activity.action,
    actor: person(activity.actor),
    details: activity.details,
    created_at: activity.createdAt.toISOString(),
  };
}

export function renderComment(comment: Comment) {
  return {
    object_name: "comment" as const,
    _id: String(comment.id),
    id: String(comment.id),
    contact_id: String(comment.contactId),
    text: comment.text,
    author: person(comment.author),
    mentions: comment.mentions.map((m) => ({ user_id: String(m.userId), name: m.name })),
    created_at: comment.createdAt.toISOString(),
    updated_at: comment.updatedAt.toISOString(),
  };
}

export function renderNotification(notification: Notification) {
  return {
    object_name: "notification" as const,
    id: String(notification.id),
    type: notification.type,
    event_id: String(notification.eventId),
    actor: person(notification.actor),
    contact_id: notification.contactId === null ? null : String(notification.contactId),
    conversation_id: notification.conversationId === null ? null : String(notification.conversationId),
    data: notification.data,
    read: notification.read,
    created_at: notification.createdAt.toISOString(),
  };
}

export function renderFollower(follower: Follower) {
  return {
    object_name: "follower" as const,
    user: { id: String(follower.user.id), name: follower.user.name },
    since: follower.since.toISOString(),
  };
}

export function renderWebhook(webhook: Webhook) {
  return {
    object_name: "webhook" as const,
    id: String(webhook.id),
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    include_system_changes: webhook.includeSystemChanges,
    active: webhook.active,
    created_at: webhook.createdAt.toISOString(),
    updated_at: webhook.updatedAt.toISOString(),
    ...(webhook.secret === undefined ? {} : { secret: webhook.secret }),
  };
}

export function renderDelivery(delivery: Delivery) {
  return {
    object_name: "webhook_delivery" as const,
    id: String(delivery.id),
    webhook_id: String(delivery.webhookId),
    event_id: String(delivery.eventId),
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: delivery.createdAt.toISOString(),
    finished_at: delivery.finishedAt?.toISOString() ?? null,
  };
}

export function renderAttempt(attempt: Attempt) {
  return {
    object_name: "webhook_attempt" as const,
    id: String(attempt.id),
    attempt: attempt.attempt,
    started_at: attempt.startedAt.toISOString(),
    duration_ms: attempt.durationMs,
    status_code: attempt.statusCode,
    error: attempt.error,
    response_body: attempt.responseBody,
  };
}

/** `base` is the absolute URL of this face's root, e.g. https://contacts.example.com/v1. */
export function renderFile(file: ContactFile, base: string) {
  const id = String(file.id);
  return {
    object_name: "file" as const,
    _id: id,
    id,
    contact_id: String(file.contactId),
    name: file.name,
    url: `${base}/contacts/${file.contactId}/files/${id}/download`,
    size: file.size,
    content_type: file.contentType,
    sha256: file.sha256,
    uploaded_by: file.uploadedBy === null ? null : String(file.uploadedBy),
    created_at: file.createdAt.toISOString(),
  };
}

import type { Activity } from "../../core/activities/activity.js";
import type { Conversation } from "../../core/conversations/conversation.js";
import type { ContactFile } from "../../core/files/file.js";
import type { Notification } from "../../core/notifications/notification.js";
import {
  renderActivity,
  renderConversation,
  renderFile as renderNativeFile,
  renderNotification,
} from "../native/render.js";
import { channelName } from "./params.js";

/**
 * iMBRACE's wire format. Contacts and comments are the native JSON (a superset of the seed's
 * schema, with the seed's `_id` on comments); the rest adds iMBRACE's names to the native JSON.
 */

/**
 * iMBRACE's list envelope, names and all: `count` is every record the query matches, `total` the
 * number on this page (the service answers `total: 2` to `limit=10` when two are left).
 */
export function renderPage<T>(data: T[], hasMore: boolean, count: number) {
  return { object_name: "list" as const, data, has_more: hasMore, count, total: data.length };
}

export function renderImbraceConversation(conversation: Conversation) {
  const native = renderConversation(conversation);
  return { ...native, _id: native.id, channel_type: channelName(conversation.inbox.channelType) };
}

export function renderImbraceActivity(activity: Activity) {
  const native = renderActivity(activity);
  return { ...native, _id: native.id, type: activity.action };
}

/** `recipient` is the user the notification is for: always the caller. */
export function renderImbraceNotification(notification: Notification, recipientId: number) {
  return {
    ...renderNotification(notification),
    from: notification.actor?.name ?? null,
    recipient: String(recipientId),
    is_read: notification.read,
  };
}

/** `faceUrl` is the absolute URL of this face's root; files download from it with the same credentials. */
export function renderImbraceFile(file: ContactFile, faceUrl: string) {
  return {
    ...renderNativeFile(file, faceUrl),
    url: `${faceUrl}/contact/${file.contactId}/files/${file.id}/download`,
  };
}

import type { ID } from "./types.js";

/**
 * Wire types of the records linked to contacts: inboxes, a contact's identities in them,
 * conversations, activity logs and comments. Snake_case and string ids, as in types.ts.
 */

/** Full channel names as the server stores them. */
export type ChannelType =
  | "Channel::Email"
  | "Channel::Api"
  | "Channel::Whatsapp"
  | "Channel::WebWidget"
  | "Channel::Sms"
  | "Channel::TwilioSms"
  | "Channel::Telegram"
  | "Channel::FacebookPage"
  | "Channel::Instagram"
  | "Channel::Line"
  | "Channel::Voice";

/** Short channel names, accepted wherever a channel is given (`channel_types=whatsapp,web`). */
export type ChannelName =
  | "email"
  | "api"
  | "whatsapp"
  | "web"
  | "sms"
  | "twilio"
  | "telegram"
  | "facebook"
  | "instagram"
  | "line"
  | "voice";

/** Full or short names; the server matches them case-insensitively. */
// `string & {}` keeps editor completion for the known names while accepting any spelling.
export type ChannelTypeInput = ChannelType | ChannelName | (string & {});

/** Offset paging, for listings without a cursor: auto-pagination continues by skip. */
export interface PageParams {
  /** 1 to 200, default 50. */
  limit?: number;
  /** Rows to skip. */
  skip?: number;
}

/** A user as other records name them (actor, author, assignee). */
export interface UserRef {
  id: string;
  name: string;
}

// ---- Inboxes ------------------------------------------------------------------------------------

export interface Inbox {
  object_name: "inbox";
  id: string;
  organization_id: string;
  name: string;
  channel_type: ChannelType;
  provider: string | null;
  created_at: string;
  updated_at: string;
}

export interface InboxCreateParams {
  name: string;
  /** Full ("Channel::Whatsapp") or short ("whatsapp") name. */
  channel_type: ChannelTypeInput;
  /** 1 to 64 letters, digits, dots, dashes or underscores, e.g. "whatsapp_cloud". */
  provider?: string | null;
}

/** Only given fields change; null clears the provider. An inbox's channel cannot change. */
export interface InboxUpdateParams {
  name?: string;
  provider?: string | null;
}

export interface InboxDeleted {
  object_name: "inbox";
  id: string;
  deleted: true;
}

// ---- Contact inboxes ----------------------------------------------------------------------------

/** A contact's identity in one inbox: the id the channel knows the contact by. */
export interface ContactInbox {
  object_name: "contact_inbox";
  id: string;
  contact_id: string;
  /** The contact's id in that channel: an email, a phone number, a UUID, ... */
  source_id: string;
  hmac_verified: boolean;
  inbox: { id: string; name: string; channel_type: ChannelType; provider: string | null };
  created_at: string;
}

export interface ContactInboxCreateParams {
  inbox_id: ID;
  /**
   * Derived when left out: the email for email inboxes, the phone for SMS (WhatsApp: without "+"),
   * a new UUID for API and web inboxes. Other channels need one given.
   */
  source_id?: string | null;
  hmac_verified?: boolean;
}

/** `contacts.get(id, { include_contact_inboxes: true })`. */
export interface ContactGetParams {
  /** Adds `contact_inboxes` to the contact. */
  include_contact_inboxes?: boolean;
}

// ---- Conversations ------------------------------------------------------------------------------

export type ConversationStatus = "open" | "pending" | "resolved" | "snoozed";

export interface Conversation {
  object_name: "conversation";
  id: string;
  organization_id: string;
  contact_id: string;
  inbox: { id: string; name: string; channel_type: ChannelType };
  channel_type: ChannelType;
  status: ConversationStatus;
  assignee: UserRef | null;
  /** When a snoozed conversation reopens; null unless snoozed. */
  snoozed_until: string | null;
  labels: string[];
  last_activity_at: string;
  created_at: string;
  updated_at: string;
}

export interface ConversationCreateParams {
  contact_id: ID;
  inbox_id: ID;
  /** Default open (resolved for a blocked contact). */
  status?: ConversationStatus;
  assignee_id?: ID | null;
  /** Only kept when the status is snoozed. A Date is sent as ISO 8601. */
  snoozed_until?: string | Date | null;
}

export interface ConversationUpdateParams {
  status?: ConversationStatus;
  /** null unassigns. */
  assignee_id?: ID | null;
  /** Only kept when the status is snoozed. A Date is sent as ISO 8601. */
  snoozed_until?: string | Date | null;
  /** Replaces the conversation's labels. */
  labels?: string[];
}

/** Filters of `conversations.list`; newest activity first. */
export interface ConversationListParams extends PageParams {
  contact_id?: ID;
  inbox_id?: ID;
  assignee_id?: ID;
  status?: ConversationStatus | ConversationStatus[];
  /** Comma list ("whatsapp,web") or array; short or full names. */
  channel_types?: ChannelTypeInput | ChannelTypeInput[];
}

/** `contacts.getConversations(contactId, { channelTypes: "whatsapp,web" })`. */
export interface ContactConversationsParams extends PageParams {
  /** Comma list ("whatsapp,web") or array; short or full names. */
  channelTypes?: ChannelTypeInput | ChannelTypeInput[];
  /** Alias of `channelTypes`, in the API's spelling. */
  channel_types?: ChannelTypeInput | ChannelTypeInput[];
}

// ---- Activities ---------------------------------------------------------------------------------

/** Known actions; others may appear as the server grows. */
export type ActivityAction =
  | "contact.created"
  | "contact.updated"
  | "contact.labels_changed"
  | "contact.merged"
  | "contact.merged_into"
  | "comment.created"
  | "comment.updated"
  | "comment.deleted"
  | "file.added"
  | "file.deleted"
  | "avatar.changed"
  | "contact_inbox.created"
  | "conversation.created"
  | "conversation.status_changed"
  | "conversation.assigned"
  | "conversation.labels_changed";

/** One entry of a contact's or a conversation's history. */
export interface Activity {
  object_name: "activity";
  id: string;
  contact_id: string;
  /** Set on a conversation's entries, null on the contact's own history. */
  conversation_id: string | null;
  /** `subject.verb`, e.g. contact.updated, conversation.status_changed. */
  action: ActivityAction | (string & {});
  /** Who did it; null when the user is gone. */
  actor: UserRef | null;
  /** What changed, e.g. `{ changes: { name: { from, to } } }` or `{ from: "open", to: "resolved" }`. */
  details: Record<string, unknown>;
  created_at: string;
}

// ---- Comments -----------------------------------------------------------------------------------

export interface CommentMention {
  user_id: string;
  name: string;
}

/** An internal note on a contact. */
export interface Comment {
  object_name: "comment";
  /** Same as `id`. */
  _id: string;
  id: string;
  contact_id: string;
  text: string;
  /** null when the author's user is gone. */
  author: UserRef | null;
  mentions: CommentMention[];
  created_at: string;
  updated_at: string;
}

export interface CommentCreateParams {
  /** Mention users with the markup `[@Name](mention://user/<id>/Name)`. */
  text: string;
  /** Users mentioned besides those in the text's markup. */
  mentions?: ID[];
}

/** Replaces the text and the mentions. */
export type CommentUpdateParams = CommentCreateParams;

export interface CommentDeleted {
  object_name: "comment";
  id: string;
  deleted: true;
}

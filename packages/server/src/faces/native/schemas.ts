import { type Static, type TInteger, type TObject, type TSchema, type TString, Type } from "typebox";
import { ROLES } from "../../core/actor.js";
import { MAX_PAGE_SIZE, SORT_KEYS } from "../../core/contacts/contact.js";
import { StringEnum } from "../../http/schema.js";

/** Wire schemas of the native API: they validate requests, serialise responses and make the OpenAPI document. */

/** A request field that may be null: an anyOf, whose validation errors name both types. */
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/**
 * A response field that may be null, as one `type` array: the serializer checks that with
 * `typeof`, where for an anyOf it runs a validator on every value (six per contact, one per
 * activity, comment or notification for its person). Requests keep `Nullable`, whose errors read
 * better.
 */
const OrNull = <T extends TString | TInteger | TObject>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, "null"] });
const Text = (maxLength: number, description?: string) => Type.String({ maxLength, description });
const Timestamp = (description: string) => Type.String({ format: "date-time", description });
const Attributes = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      type: Type.String({ description: "Broad class: invalid_request_error, authentication_error, ..." }),
      code: Type.String({ description: "Machine-readable reason" }),
      message: Type.String(),
      request_id: Type.String(),
      details: Type.Optional(
        Type.Array(Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() })),
      ),
      field: Type.Optional(Type.String()),
      existing_id: Type.Optional(Type.String({ description: "On a 409: the record already holding the value" })),
      merged_into: Type.Optional(
        Type.String({ description: "On a 410 for a merged-away contact: the contact it was merged into" }),
      ),
    }),
  },
  { $id: "Error", description: "The one error shape of the native API" },
);

const ContactFields = {
  name: Type.Optional(Nullable(Text(1024, "Display name"))),
  display_name: Type.Optional(Nullable(Text(1024, "Alias of name"))),
  email: Type.Optional(Nullable(Text(1024, "Unique per account, stored lower-case"))),
  phone_number: Type.Optional(Nullable(Text(128, "Any format; stored as E.164"))),
  phone: Type.Optional(Nullable(Text(128, "Alias of phone_number"))),
  identifier: Type.Optional(Nullable(Text(1024, "Your external id, unique per account"))),
  avatar_url: Type.Optional(Nullable(Text(4096))),
  additional_attributes: Type.Optional(
    Type.Union([Attributes("company_name, city, country, social_profiles, ..."), Type.Null()]),
  ),
  custom_attributes: Type.Optional(Type.Union([Attributes("Your own fields"), Type.Null()])),
  blocked: Type.Optional(Type.Boolean()),
  labels: Type.Optional(Type.Array(Text(1024), { maxItems: 1000, description: "Replaces the contact's labels" })),
};

export const ContactWrite = Type.Object(ContactFields, { additionalProperties: false });

export const ContactCreate = Type.Object(
  {
    ...ContactFields,
    inbox_id: Type.Optional(
      Type.Union([
        Type.String({ pattern: "^[1-9][0-9]{0,14}$" }),
        Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
      ]),
    ),
    source_id: Type.Optional(Nullable(Text(255, "The contact's id in that inbox; derived when left out"))),
  },
  { additionalProperties: false },
);

export const Contact = Type.Object(
  {
    object_name: Type.Literal("contact"),
    id: Type.String(),
    organization_id: Type.String({ description: "The account this contact belongs to" }),
    display_name: Type.String(),
    name: Type.String(),
    email: OrNull(Type.String()),
    phone_number: OrNull(Type.String({ description: "E.164" })),
    phone_number_raw: OrNull(Type.String({ description: "The phone number as it was given" })),
    identifier: OrNull(Type.String()),
    avatar_url: OrNull(Type.String()),
    additional_attributes: Attributes("Standard extra fields"),
    custom_attributes: Attributes("Your own fields"),
    blocked: Type.Boolean(),
    labels: Type.Array(Type.String()),
    last_activity_at: OrNull(Timestamp("Last conversation activity")),
    created_at: Timestamp("ISO 8601"),
    updated_at: Timestamp("ISO 8601"),
    contact_inboxes: Type.Optional(
      Type.Array(Type.Ref("ContactInbox"), { description: "With include_contact_inboxes=true" }),
    ),
  },
  { $id: "Contact" },
);

/** The one list envelope: {object_name: "list", data, has_more, next_cursor}. */
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    object_name: Type.Literal("list"),
    data: Type.Array(item),
    has_more: Type.Boolean(),
    next_cursor: OrNull(Type.String({ description: "Pass as cursor to get the next page" })),
  });

export const ContactList = ListOf(Type.Ref("Contact"));

const LabelsQuery = Type.Array(Type.String({ maxLength: 4096 }), {
  maxItems: 100,
  description: "Only contacts with any of these labels (repeat the parameter or separate with commas)",
});

const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `1 to ${MAX_PAGE_SIZE}, default 50` }),
  ),
  skip: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, description: "Rows to skip (offset paging)" })),
};

export const ListQuery = Type.Object(
  {
    ...PageQuery,
    cursor: Type.Optional(
      Type.String({ maxLength: 2048, description: "next_cursor of the previous page (keyset paging)" }),
    ),
    sort: Type.Optional(StringEnum(SORT_KEYS, "Default created_at")),
    direction: Type.Optional(StringEnum(["asc", "desc"] as const, "Default desc for times, asc otherwise")),
    labels: Type.Optional(LabelsQuery),
    include_contact_inboxes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      maxLength: 1024,
      description: "Substring of name, email, phone (any format), identifier or company",
    }),
    ...PageQuery,
    labels: Type.Optional(LabelsQuery),
    include_contact_inboxes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const LookupQuery = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 1024 })),
    phone_number: Type.Optional(Type.String({ maxLength: 128 })),
    identifier: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const LabelNames = Type.Object(
  { labels: Type.Array(Text(1024), { maxItems: 1000 }) },
  { additionalProperties: false },
);

export const ContactLabels = Type.Object({ labels: Type.Array(Type.String()) });

export const Label = Type.Object({
  object_name: Type.Literal("label"),
  id: Type.String(),
  name: Type.String(),
  color: OrNull(Type.String()),
  description: OrNull(Type.String()),
  contacts_count: Type.Integer(),
  created_at: Timestamp("ISO 8601"),
});

export const LabelList = ListOf(Label);

export const Deleted = Type.Object({ object_name: Type.String(), id: Type.String(), deleted: Type.Literal(true) });

export const NotModified = Type.Null({ description: "Still at the version If-None-Match names: no body" });

export const User = Type.Object({
  object_name: Type.Literal("user"),
  id: Type.String(),
  organization_id: Type.String(),
  name: Type.String(),
  email: OrNull(Type.String()),
  role: StringEnum(ROLES),
  created_at: Timestamp("ISO 8601"),
});

export const UserWrite = Type.Object(
  {
    name: Text(1024),
    email: Type.Optional(Nullable(Text(1024))),
    role: StringEnum(ROLES),
  },
  { additionalProperties: false },
);

export const ApiKey = Type.Object({
  object_name: Type.Literal("api_key"),
  id: Type.String(),
  organization_id: Type.String(),
  user_id: Type.String(),
  name: Type.String(),
  key: Type.String(),
  role: Type.String(),
  created_at: Timestamp("ISO 8601"),
  revoked_at: OrNull(Timestamp("ISO 8601")),
  secret: Type.Optional(Type.String({ description: "Only in the response that created the key" })),
  token: Type.Optional(Type.String({ description: "key.secret, for Authorization: Bearer" })),
});

export const ApiKeyWrite = Type.Object({ name: Type.Optional(Text(255)) }, { additionalProperties: false });

export const Me = Type.Object({
  object_name: Type.Literal("me"),
  user: User,
  organization: Type.Object({ id: Type.String(), name: Type.String() }),
  api_key_id: Type.String(),
});

// ---- Linked records --------------------------------------------------------------------------

/** An id in a request body: the string the API hands out, or the same number. */
export const IdValue = Type.Union([
  Type.String({ pattern: "^[1-9][0-9]{0,14}$" }),
  Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
]);

export const PageOnlyQuery = Type.Object(PageQuery, { additionalProperties: false });

export const ContactReadQuery = Type.Object(
  { include_contact_inboxes: Type.Optional(Type.Boolean({ description: "Add each contact's inbox identities" })) },
  { additionalProperties: false },
);

const InboxRef = Type.Object({
  id: Type.String(),
  name: Type.String(),
  channel_type: Type.String(),
  provider: OrNull(Type.String()),
});

export const ContactInbox = Type.Object(
  {
    object_name: Type.Literal("contact_inbox"),
    id: Type.String(),
    contact_id: Type.String(),
    source_id: Type.String({ description: "The contact's id in that channel" }),
    hmac_verified: Type.Boolean(),
    inbox: InboxRef,
    created_at: Timestamp("ISO 8601"),
  },
  { $id: "ContactInbox" },
);

export const ContactInboxWrite = Type.Object(
  {
    inbox_id: IdValue,
    source_id: Type.Optional(Nullable(Text(255, "Derived from the contact when left out (email, phone or a UUID)"))),
    hmac_verified: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Inbox = Type.Object({
  object_name: Type.Literal("inbox"),
  id: Type.String(),
  organization_id: Type.String(),
  name: Type.String(),
  channel_type: Type.String(),
  provider: OrNull(Type.String()),
  created_at: Timestamp("ISO 8601"),
  updated_at: Timestamp("ISO 8601"),
});

export const InboxWrite = Type.Object(
  {
    name: Text(1024),
    channel_type: Type.String({ maxLength: 64, description: "Channel::Email, Channel::Api, Channel::Whatsapp, ..." }),
    provider: Type.Optional(Nullable(Text(64))),
  },
  { additionalProperties: false },
);

export const InboxUpdate = Type.Object(
  {
    name: Type.Optional(Text(1024)),
    channel_type: Type.Optional(Type.String({ maxLength: 64 })),
    provider: Type.Optional(Nullable(Text(64))),
  },
  { additionalProperties: false },
);

const StatusEnum = StringEnum(["open", "pending", "resolved", "snoozed"] as const);
const Person = OrNull(Type.Object({ id: Type.String(), name: Type.String() }));

export const Conversation = Type.Object(
  {
    object_name: Type.Literal("conversation"),
    id: Type.String(),
    organization_id: Type.String(),
    contact_id: Type.String(),
    inbox: Type.Object({ id: Type.String(), name: Type.String(), channel_type: Type.String() }),
    channel_type: Type.String(),
    status: StatusEnum,
    assignee: Person,
    snoozed_until: OrNull(Timestamp("When a snoozed conversation reopens")),
    labels: Type.Array(Type.String()),
    last_activity_at: Timestamp("ISO 8601"),
    created_at: Timestamp("ISO 8601"),
    updated_at: Timestamp("ISO 8601"),
  },
  { $id: "Conversation" },
);

export const ConversationWrite = Type.Object(
  {
    contact_id: IdValue,
    inbox_id: IdValue,
    status: Type.Optional(StatusEnum),
    assignee_id: Type.Optional(Type.Union([IdValue, Type.Null()])),
    snoozed_until: Type.Optional(Nullable(Type.String({ format: "date-time" }))),
  },
  { additionalProperties: false },
);

export const ConversationUpdate = Type.Object(
  {
    status: Type.Optional(StatusEnum),
    assignee_id: Type.Optional(Type.Union([IdValue, Type.Null()], { description: "null unassigns" })),
    snoozed_until: Type.Optional(Nullable(Type.String({ format: "date-time" }))),
    labels: Type.Optional(Type.Array(Text(1024), { maxItems: 1000, description: "Replaces the labels" })),
  },
  { additionalProperties: false },
);

const ChannelTypesQuery = Type.Array(Type.String({ maxLength: 1024 }), {
  maxItems: 50,
  description: "Short (whatsapp, web, email, sms, api, ...) or full (Channel::Whatsapp) names; comma list or repeated",
});

export const ConversationListQuery = Type.Object(
  {
    ...PageQuery,
    contact_id: Type.Optional(Type.String({ maxLength: 20 })),
    inbox_id: Type.Optional(Type.String({ maxLength: 20 })),
    assignee_id: Type.Optional(Type.String({ maxLength: 20 })),
    status: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 })),
    channel_types: Type.Optional(ChannelTypesQuery),
  },
  { additionalProperties: false },
);

export const ContactConversationsQuery = Type.Object(
  { ...PageQuery, channel_types: Type.Optional(ChannelTypesQuery) },
  { additionalProperties: false },
);

export const Activity = Type.Object({
  object_name: Type.Literal("activity"),
  id: Type.String(),
  contact_id: Type.String(),
  conversation_id: OrNull(Type.String()),
  action: Type.String({ description: "subject.verb, e.g. contact.updated, conversation.status_changed" }),
  actor: Person,
  details: Attributes("What changed"),
  created_at: Timestamp("ISO 8601"),
});

export const Comment = Type.Object({
  object_name: Type.Literal("comment"),
  _id: Type.String({ description: "Same as id (the seed's name)" }),
  id: Type.String(),
  contact_id: Type.String(),
  text: Type.String(),
  author: Person,
  mentions: Type.Array(Type.Object({ user_id: Type.String(), name: Type.String() })),
  created_at: Timestamp("ISO 8601"),
  updated_at: Timestamp("ISO 8601"),
});

export const CommentWrite = Type.Object(
  {
    text: Type.String({ maxLength: 100_000, description: "Mention users as [@Name](mention://user/<id>/Name)" }),
    mentions: Type.Optional(Type.Array(Type.String({ maxLength: 20 }), { maxItems: 100, description: "User ids" })),
  },
  { additionalProperties: false },
);

export const ContactCommentParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  commentId: Type.String({ maxLength: 64 }),
});

// ---- Notifications ---------------------------------------------------------------------------

export const Notification = Type.Object({
  object_name: Type.Literal("notification"),
  id: Type.String(),
  type: Type.String({ description: "mention, conversation_assigned, ..." }),
  event_id: Type.String(),
  actor: Person,
  contact_id: OrNull(Type.String()),
  conversation_id: OrNull(Type.String()),
  data: Attributes("Details of what happened"),
  read: Type.Boolean(),
  created_at: Timestamp("ISO 8601"),
});

export const NotificationList = Type.Object({
  object_name: Type.Literal("list"),
  data: Type.Array(Notification),
  has_more: Type.Boolean(),
  next_cursor: Type.Null(),
  total: Type.Integer({ description: "Notifications not dismissed" }),
  unread_count: Type.Integer(),
});

export const NotificationIds = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(
        Type.Union([Type.String({ maxLength: 20 }), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })]),
        { maxItems: 1000 },
      ),
    ),
  },
  { additionalProperties: false, description: "No ids: all of them" },
);

// ---- Followers -------------------------------------------------------------------------------

export const Follower = Type.Object({
  object_name: Type.Literal("follower"),
  user: Type.Object({ id: Type.String(), name: Type.String() }),
  since: Timestamp("When they started following"),
});

export const FollowerParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  userId: Type.String({ maxLength: 64, description: "A user id, or me" }),
});

// ---- Webhooks --------------------------------------------------------------------------------

const WebhookEvents = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 100,
  description: "Event types to receive (contact.created, contact.updated, ...), or * for all",
});

const WebhookFields = {
  url: Type.String({ maxLength: 2048, description: "An http:// or https:// URL that receives POSTs" }),
  events: WebhookEvents,
  description: Type.Optional(Text(500)),
  include_system_changes: Type.Optional(
    Type.Boolean({ description: "Also send contact.updated when only last_activity_at moved (default false)" }),
  ),
  active: Type.Optional(Type.Boolean({ description: "Inactive endpoints keep their deliveries waiting" })),
};

export const WebhookWrite = Type.Object(WebhookFields, { additionalProperties: false });
export const WebhookUpdate = Type.Object(
  { ...WebhookFields, url: Type.Optional(WebhookFields.url), events: Type.Optional(WebhookEvents) },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  object_name: Type.Literal("webhook"),
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  include_system_changes: Type.Boolean(),
  active: Type.Boolean(),
  created_at: Timestamp("ISO 8601"),
  updated_at: Timestamp("ISO 8601"),
  secret: Type.Optional(
    Type.String({ description: "whsec_…: the signing secret, returned only on creation and rotation" }),
  ),
});

export const WebhookDelivery = Type.Object({
  object_name: Type.Literal("webhook_delivery"),
  id: Type.String(),
  webhook_id: Type.String(),
  event_id: Type.String({ description: "Also the webhook-id header: the same on every retry" }),
  event_type: Type.String(),
  status: StringEnum(["pending", "delivered", "failed"] as const),
  attempts: Type.Integer(),
  next_attempt_at: OrNull(Timestamp("When pending: the next attempt")),
  last_status_code: OrNull(Type.Integer()),
  last_error: OrNull(Type.String()),
  created_at: Timestamp("ISO 8601"),
  finished_at: OrNull(Timestamp("When delivered or given up")),
});

export const WebhookAttempt = Type.Object({
  object_name: Type.Literal("webhook_attempt"),
  id: Type.String(),
  attempt: Type.Integer(),
  started_at: Timestamp("ISO 8601"),
  duration_ms: Type.Integer(),
  status_code: OrNull(Type.Integer()),
  error: OrNull(Type.String()),
  response_body: OrNull(Type.String({ description: "The first 1 KiB of the receiver's answer" })),
});

export const CountedListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    object_name: Type.Literal("list"),
    data: Type.Array(item),
    has_more: Type.Boolean(),
    next_cursor: Type.Null(),
    total: Type.Integer(),
  });

export const DeliveryListQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(StringEnum(["pending", "delivered", "failed"] as const)) },
  { additionalProperties: false },
);

export const DeliveryParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  deliveryId: Type.String({ maxLength: 64 }),
});

export const StreamQuery = Type.Object(
  {
    last_event_id: Type.Optional(
      Type.String({ maxLength: 20, description: "Like the Last-Event-ID header, for clients that cannot set it" }),
    ),
  },
  { additionalProperties: false },
);

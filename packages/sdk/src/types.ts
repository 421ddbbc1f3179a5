import type { ContactInbox } from "./linked-types.js";

/**
 * Wire types of the contactd native API. Field names stay snake_case exactly as the server sends
 * them, and ids are strings, so a value can be passed back to the API without translation.
 */

/** Ids are strings on the wire; methods also accept numbers for convenience. */
export type ID = string | number;

export type Attributes = Record<string, unknown>;

export interface Contact {
  object_name: "contact";
  id: string;
  organization_id: string;
  display_name: string;
  name: string;
  email: string | null;
  /** E.164, e.g. "+14155550123". */
  phone_number: string | null;
  /** The phone number exactly as it was given. */
  phone_number_raw: string | null;
  identifier: string | null;
  avatar_url: string | null;
  additional_attributes: Attributes;
  custom_attributes: Attributes;
  blocked: boolean;
  labels: string[];
  /** ISO 8601. */
  last_activity_at: string | null;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601. */
  updated_at: string;
  /** The contact's inbox identities; only when asked for with `include_contact_inboxes`. */
  contact_inboxes?: ContactInbox[];
}

/** Fields of a new contact; all optional (a contact with only a name is valid). */
export interface ContactCreateParams {
  name?: string | null;
  /** Alias of `name`. */
  display_name?: string | null;
  email?: string | null;
  /** Any format with a country code; stored as E.164. */
  phone_number?: string | null;
  /** Alias of `phone_number`. */
  phone?: string | null;
  identifier?: string | null;
  avatar_url?: string | null;
  additional_attributes?: Attributes | null;
  custom_attributes?: Attributes | null;
  blocked?: boolean;
  /** Replaces the contact's labels. */
  labels?: string[];
  /** Also gives the new contact an identity in this inbox (`contact_inboxes` of the answer). */
  inbox_id?: ID;
  /** The contact's id in that inbox; derived when left out (see `contacts.attachInbox`). */
  source_id?: string | null;
}

/**
 * Only given fields change; null clears a field. Attribute hashes are shallow-merged and a key set
 * to null is removed.
 */
export type ContactUpdateParams = Omit<ContactCreateParams, "inbox_id" | "source_id">;

export type ContactSortKey =
  | "name"
  | "email"
  | "phone_number"
  | "last_activity_at"
  | "created_at"
  | "company"
  | "city"
  | "country";

export type SortDirection = "asc" | "desc";

export interface ContactListParams {
  /** 1 to 200, default 50. */
  limit?: number;
  /** Offset paging; auto-pagination then continues by skip. Do not combine with `cursor`. */
  skip?: number;
  /** `next_cursor` of a previous page (keyset paging). */
  cursor?: string;
  sort?: ContactSortKey;
  direction?: SortDirection;
  /** Only contacts carrying any of these labels. */
  labels?: string[] | string;
  /** Adds `contact_inboxes` to each contact. */
  include_contact_inboxes?: boolean;
}

export interface ContactSearchParams {
  /** Case-insensitive substring of name, email, phone, identifier or company. */
  q: string;
  limit?: number;
  skip?: number;
  labels?: string[] | string;
  /** Adds `contact_inboxes` to each contact. */
  include_contact_inboxes?: boolean;
}

/** Exactly one unique field to look a contact up by. */
export type ContactLookupParams =
  | { email: string; phone_number?: never; identifier?: never }
  | { phone_number: string; email?: never; identifier?: never }
  | { identifier: string; email?: never; phone_number?: never };

export interface ContactDeleted {
  object_name: "contact";
  id: string;
  deleted: true;
}

export interface Label {
  object_name: "label";
  id: string;
  name: string;
  color: string | null;
  description: string | null;
  /** How many contacts carry this label. */
  contacts_count: number;
  created_at: string;
}

/** The list envelope every list endpoint answers with. */
export interface ListResponse<T> {
  object_name: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export type Role = "administrator" | "agent";

export interface User {
  object_name: "user";
  id: string;
  organization_id: string;
  name: string;
  email: string | null;
  role: Role;
  created_at: string;
}

export interface Me {
  object_name: "me";
  user: User;
  organization: { id: string; name: string };
  api_key_id: string;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** The error envelope of every 4xx/5xx answer. */
export interface ErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    request_id: string;
    details?: FieldError[];
    field?: string;
    existing_id?: string;
    merged_into?: string;
  };
}

/** Options accepted as the optional last argument of every method. */
export interface RequestOptions {
  /** Aborts the request (and any retry wait); the call rejects with APIUserAbortError. */
  signal?: AbortSignal;
  /** Milliseconds per attempt, overriding the client's `timeout`. */
  timeout?: number;
  /** Sent as `Idempotency-Key`; POSTs get a generated one when omitted. */
  idempotencyKey?: string;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Extra headers; they win over the client's headers. */
  headers?: Record<string, string>;
}

/** The subset of `fetch` the client needs, so any spec-compliant implementation fits. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

interface CommonClientOptions {
  /** Where contactd runs, e.g. "http://127.0.0.1:3000"; the API lives under `{baseUrl}/v1`. */
  baseUrl: string;
  /** Retries of a failed attempt (408, 429, 5xx, network errors, timeouts). Default 2. */
  maxRetries?: number;
  /** Milliseconds per attempt. Default 60000. */
  timeout?: number;
  /** A fetch implementation to use instead of the global one. */
  fetch?: Fetch;
  /** Headers sent with every request; an Authorization among them is replaced by the credentials. */
  defaultHeaders?: Record<string, string>;
}

/** Authenticate with an API key and secret (HTTP Basic) or with a token "key.secret" (Bearer). */
export type ClientOptions = CommonClientOptions &
  (
    | { apiKey: string; apiSecret: string; token?: undefined }
    | { token: string; apiKey?: undefined; apiSecret?: undefined }
  );

/** What `contacts.merge` answers: the surviving contact, and how much moved onto it. */
export interface ContactMerge {
  object_name: "contact_merge";
  /** True when nothing was changed (`dry_run: true`). */
  dry_run: boolean;
  contact: Contact;
  /** The merged-away contact's id; it answers 410 (GoneError) from now on. */
  merged_contact_id: ID;
  moved: {
    conversations: number;
    contact_inboxes: number;
    comments: number;
    files: number;
    activities: number;
    labels: number;
    followers: number;
  };
}

export interface ContactMergeParams {
  /** The contact that is kept. */
  base_contact_id: ID;
  /** The contact merged into the base and deleted. */
  mergee_contact_id: ID;
  /** Work out the result and what would move, changing nothing. */
  dry_run?: boolean;
}

/** Which contacts and columns `contacts.exportCsv` writes. */
export interface ContactExportParams {
  /** Standard fields (id, name, email, phone_number, identifier, labels, created_at, ...) and `custom_attributes.<key>` / `additional_attributes.<key>`. */
  columns?: string[];
  /** Only contacts a search for this term finds. */
  q?: string;
  /** Only contacts with any of these labels. */
  labels?: string[];
  sort?: string;
  direction?: "asc" | "desc";
  /** Start with a UTF-8 byte order mark, so spreadsheet tools read the file as UTF-8. */
  bom?: boolean;
}

/** One operation of `contacts.batch`. */
export type ContactBatchOperation =
  | { op: "create"; data: ContactCreateParams; ref?: string }
  | { op: "update"; id: ID; data: ContactUpdateParams; ref?: string }
  | { op: "upsert"; data: ContactCreateParams; ref?: string }
  | { op: "delete"; id: ID; ref?: string };

/** What became of each operation, in request order; `status` is what the single request would have answered. */
export interface ContactBatchResult {
  object_name: "batch";
  results: Array<{
    index: number;
    ref?: string;
    op: ContactBatchOperation["op"];
    status: number;
    id?: ID;
    contact?: Contact;
    error?: ErrorBody["error"];
  }>;
  counts: { succeeded: number; failed: number };
}

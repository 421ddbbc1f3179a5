import { type APIClient, isFormData } from "../client.js";
import { ContactdError } from "../errors.js";
import type { AvatarUploadParams, ContactFile, FileDeleted, FileUploadParams, UploadedImage } from "../file-types.js";
import type {
  Activity,
  Comment,
  ContactConversationsParams,
  ContactGetParams,
  ContactInbox,
  ContactInboxCreateParams,
  Conversation,
  PageParams,
} from "../linked-types.js";
import type {
  FollowerList,
  Notification,
  NotificationDismissed,
  NotificationListExtras,
  NotificationsDismissed,
  NotificationsRead,
} from "../notification-types.js";
import { loadPage, type PageLoader, PagePromise } from "../pagination.js";
import type {
  Contact,
  ContactBatchOperation,
  ContactBatchResult,
  ContactCreateParams,
  ContactDeleted,
  ContactExportParams,
  ContactListParams,
  ContactLookupParams,
  ContactMerge,
  ContactMergeParams,
  ContactSearchParams,
  ContactUpdateParams,
  ID,
  ListResponse,
  RequestOptions,
} from "../types.js";
import { ContactComments } from "./contact-comments.js";
import { ContactLabels } from "./contact-labels.js";
import { idPath } from "./ids.js";
import { Notifications } from "./notifications.js";
import { skipPaged } from "./paged.js";

export class Contacts {
  /** The labels of one contact: `client.contacts.labels.add(id, ["vip"])`. */
  readonly labels: ContactLabels;
  /** The comments on one contact: `client.contacts.comments.create(id, { text: "Called back" })`. */
  readonly comments: ContactComments;

  constructor(
    private readonly client: APIClient,
    private readonly notifications: Notifications = new Notifications(client),
  ) {
    this.labels = new ContactLabels(client);
    this.comments = new ContactComments(client);
  }

  /** Creates a contact. Retries reuse one Idempotency-Key, so a lost response cannot create it twice. */
  create(params: ContactCreateParams = {}, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "POST", path: "/contacts", body: params, options });
  }

  /** The contact; `get(id, { include_contact_inboxes: true })` adds its inbox identities. */
  get(id: ID, options?: RequestOptions): Promise<Contact>;
  get(id: ID, params: ContactGetParams, options?: RequestOptions): Promise<Contact>;
  async get(id: ID, paramsOrOptions?: ContactGetParams | RequestOptions, options?: RequestOptions): Promise<Contact> {
    // get(id, requestOptions) predates the params argument and keeps working.
    const hasParams =
      options !== undefined || (paramsOrOptions !== undefined && "include_contact_inboxes" in paramsOrOptions);
    const params = hasParams ? (paramsOrOptions as ContactGetParams) : {};
    return this.client.request({
      method: "GET",
      path: `/contacts/${idPath(id)}`,
      query: { include_contact_inboxes: params.include_contact_inboxes },
      options: hasParams ? options : (paramsOrOptions as RequestOptions | undefined),
    });
  }

  /** Changes only the given fields (PATCH). */
  async update(id: ID, params: ContactUpdateParams, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "PATCH", path: `/contacts/${idPath(id)}`, body: params, options });
  }

  /** Deletes a contact; administrators only (agents get PermissionDeniedError). */
  async delete(id: ID, options?: RequestOptions): Promise<ContactDeleted> {
    return this.client.request({ method: "DELETE", path: `/contacts/${idPath(id)}`, options });
  }

  /**
   * Lists contacts. Await for one page, or `for await` over the result for every contact: paging
   * follows `next_cursor`, or continues by `skip` when the first call gave `skip`.
   */
  list(params: ContactListParams = {}, options?: RequestOptions): PagePromise<Contact> {
    const { limit, sort, direction, labels, cursor, skip, include_contact_inboxes } = params;
    const loader: PageLoader<Contact> = (position) =>
      this.client.request<ListResponse<Contact>>({
        method: "GET",
        path: "/contacts",
        query: {
          limit,
          sort,
          direction,
          labels,
          include_contact_inboxes,
          cursor: position.cursor,
          skip: position.skip,
        },
        options,
      });
    return new PagePromise(loadPage(loader, skip === undefined ? "cursor" : "skip", { cursor, skip }));
  }

  /** Case-insensitive substring search, best matches first; pages by skip (search has no cursor). */
  search(query: string | ContactSearchParams, options?: RequestOptions): PagePromise<Contact> {
    const { q, limit, labels, skip, include_contact_inboxes } =
      typeof query === "string" ? ({ q: query } as ContactSearchParams) : query;
    const loader: PageLoader<Contact> = (position) =>
      this.client.request<ListResponse<Contact>>({
        method: "GET",
        path: "/contacts/search",
        query: { q, limit, labels, include_contact_inboxes, skip: position.skip },
        options,
      });
    return new PagePromise(loadPage(loader, "skip", { skip }));
  }

  /** The contact with exactly this email, phone number or identifier; NotFoundError when none. */
  lookup(params: ContactLookupParams, options?: RequestOptions): Promise<Contact> {
    const { email, phone_number, identifier } = params;
    return this.client.request({
      method: "GET",
      path: "/contacts/lookup",
      query: { email, phone_number, identifier },
      options,
    });
  }

  // ---- Linked records -------------------------------------------------------------------------

  /**
   * Gives the contact an identity in an inbox. Without `source_id` one is derived from the channel;
   * ConflictError when another contact already has that source id in the inbox.
   */
  async attachInbox(contactId: ID, params: ContactInboxCreateParams, options?: RequestOptions): Promise<ContactInbox> {
    return this.client.request({
      method: "POST",
      path: `/contacts/${idPath(contactId)}/contact_inboxes`,
      body: params,
      options,
    });
  }

  /**
   * The contact's conversations, newest activity first, optionally only in some channels:
   * `getConversations(id, { channelTypes: "whatsapp,web" })`. Pages by skip.
   */
  getConversations(
    contactId: ID,
    params: ContactConversationsParams = {},
    options?: RequestOptions,
  ): PagePromise<Conversation> {
    const { channelTypes, channel_types, limit, skip } = params;
    const query = { channel_types: channelTypes ?? channel_types, limit, skip };
    return skipPaged(this.client, () => `/contacts/${idPath(contactId)}/conversations`, query, options);
  }

  /** The contact's comments, newest first (same as `comments.list`). */
  getComments(contactId: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<Comment> {
    return this.comments.list(contactId, params, options);
  }

  /**
   * The activity log of a CONVERSATION (takes a conversation id, as the seed SDK's method did),
   * newest first; same as `conversations.activities`. A contact's own history is `getHistory`.
   */
  getActivities(conversationId: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<Activity> {
    const { limit, skip } = params;
    const path = () => `/conversations/${idPath(conversationId)}/activities`;
    return skipPaged(this.client, path, { limit, skip }, options);
  }

  /**
   * The contact's own history, newest first: contact.created, contact.updated (with
   * `details.changes`), contact.labels_changed, comment.created, ... Conversation entries are in
   * `getActivities(conversationId)`.
   */
  getHistory(contactId: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<Activity> {
    const { limit, skip } = params;
    return skipPaged(this.client, () => `/contacts/${idPath(contactId)}/activities`, { limit, skip }, options);
  }

  /**
   * Updates the contact matched by identifier, else email, else phone number, or creates one:
   * safe to call again and again for the same person, also concurrently.
   */
  upsert(params: ContactCreateParams, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "POST", path: "/contacts/upsert", body: params, options });
  }

  /** Up to 100 creates, updates, upserts and deletes in one call, run in order, each on its own. */
  batch(operations: ContactBatchOperation[], options?: RequestOptions): Promise<ContactBatchResult> {
    return this.client.request({ method: "POST", path: "/contacts/batch", body: { operations }, options });
  }

  /**
   * Merges two contacts in one step: the base is kept and takes over the mergee's conversations,
   * inboxes, comments, files, history, labels and followers; the mergee is deleted.
   */
  merge(params: ContactMergeParams, options?: RequestOptions): Promise<ContactMerge> {
    return this.client.request({ method: "POST", path: "/contacts/merge", body: params, options });
  }

  /**
   * The contacts as CSV text (all of them, or those matching `q` / `labels`), with the chosen
   * columns: `exportCsv({ columns: ["id", "name", "custom_attributes.plan"], bom: true })`.
   * For large exports use exportCsvStream, which never holds the whole file.
   */
  async exportCsv(params: ContactExportParams = {}, options?: RequestOptions): Promise<string> {
    const bytes = await this.client.requestBytes({
      method: "GET",
      path: "/contacts/export.csv",
      query: exportQuery(params),
      options,
    });
    // The BOM, when asked for, is part of the file: keep it.
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  }

  /** The same CSV as a stream of bytes, read as the server sends it (e.g. piped to a file). */
  async exportCsvStream(
    params: ContactExportParams = {},
    options?: RequestOptions,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.client.openStream({
      method: "GET",
      path: "/contacts/export.csv",
      query: exportQuery(params),
      options,
      accept: "text/csv",
    });
    return response.body ?? new ReadableStream({ start: (controller) => controller.close() });
  }

  // ---- Followers -------------------------------------------------------------------------------

  /** Who follows the contact: they are notified of what others do to it. */
  async listFollowers(contactId: ID, options?: RequestOptions): Promise<FollowerList> {
    return this.client.request({ method: "GET", path: `/contacts/${idPath(contactId)}/followers`, options });
  }

  /** Follows the contact as the caller, or makes another user follow it (administrators). Answers the followers. */
  async follow(contactId: ID, userId: ID | "me" = "me", options?: RequestOptions): Promise<FollowerList> {
    const path = `/contacts/${idPath(contactId)}/followers/${userId === "me" ? "me" : idPath(userId)}`;
    return this.client.request({ method: "PUT", path, options });
  }

  /** Stops following the contact (or stops another user following it, for administrators). */
  async unfollow(contactId: ID, userId: ID | "me" = "me", options?: RequestOptions): Promise<FollowerList> {
    const path = `/contacts/${idPath(contactId)}/followers/${userId === "me" ? "me" : idPath(userId)}`;
    return this.client.request({ method: "DELETE", path, options });
  }

  // ---- Notifications ---------------------------------------------------------------------------
  // The caller's notifications, here under the names the product uses; same as `client.notifications`.

  /** Newest first; the page also carries `total` and `unread_count`. Pages by skip. */
  listNotifications(
    params: PageParams = {},
    options?: RequestOptions,
  ): PagePromise<Notification, NotificationListExtras> {
    return this.notifications.list(params, options);
  }

  /** Marks these notifications read, or all of them when no ids are given; all or nothing. */
  markNotificationsRead(ids?: ID[], options?: RequestOptions): Promise<NotificationsRead> {
    return this.notifications.markRead(ids, options);
  }

  dismissNotification(id: ID, options?: RequestOptions): Promise<NotificationDismissed> {
    return this.notifications.dismiss(id, options);
  }

  dismissAllNotifications(options?: RequestOptions): Promise<NotificationsDismissed> {
    return this.notifications.dismissAll(options);
  }

  // ---- Files and avatars ----------------------------------------------------------------------

  /** The contact's files, newest first; pages by skip. */
  getFiles(contactId: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<ContactFile> {
    const { limit, skip } = params;
    return skipPaged(this.client, () => `/contacts/${idPath(contactId)}/files`, { limit, skip }, options);
  }

  /**
   * Attaches a file to the contact (multipart). The server judges its type from the bytes. Retries
   * reuse one Idempotency-Key, so a lost response cannot attach it twice.
   */
  async uploadFile(
    contactId: ID,
    file: Blob,
    params: FileUploadParams = {},
    options?: RequestOptions,
  ): Promise<ContactFile> {
    return this.client.request({
      method: "POST",
      path: `/contacts/${idPath(contactId)}/files`,
      body: fileForm(file, params.filename),
      options,
    });
  }

  /** A file's bytes. */
  async downloadFile(contactId: ID, fileId: ID, options?: RequestOptions): Promise<ArrayBuffer> {
    return this.client.requestBytes({
      method: "GET",
      path: `/contacts/${idPath(contactId)}/files/${idPath(fileId)}/download`,
      options,
    });
  }

  /** Deletes a file; its uploader or an administrator may (others get PermissionDeniedError). */
  async deleteFile(contactId: ID, fileId: ID, options?: RequestOptions): Promise<FileDeleted> {
    return this.client.request({
      method: "DELETE",
      path: `/contacts/${idPath(contactId)}/files/${idPath(fileId)}`,
      options,
    });
  }

  /**
   * `uploadAvatar(formData)` (the seed SDK's form): stores the image in the form's `file` field and
   * resolves to its public `url`, which can then be put in any contact's `avatar_url`.
   * `uploadAvatar(contactId, file)`: makes the image that contact's avatar and resolves to the contact.
   * PNG, JPEG, WebP or GIF only, judged by the bytes (an APIError with status 415 otherwise).
   */
  uploadAvatar(formData: FormData, options?: RequestOptions): Promise<UploadedImage>;
  uploadAvatar(contactId: ID, file: Blob, params?: AvatarUploadParams, options?: RequestOptions): Promise<Contact>;
  async uploadAvatar(
    target: FormData | ID,
    fileOrOptions?: Blob | RequestOptions,
    params: AvatarUploadParams = {},
    options?: RequestOptions,
  ): Promise<UploadedImage | Contact> {
    if (isFormData(target)) {
      return this.client.request({
        method: "POST",
        path: "/uploads",
        body: target,
        options: fileOrOptions as RequestOptions | undefined,
      });
    }
    return this.client.request({
      method: "PUT",
      path: `/contacts/${idPath(target)}/avatar`,
      body: fileForm(fileOrOptions as Blob, params.filename),
      options,
    });
  }

  /** Clears the contact's avatar_url (and deletes the image if it was uploaded). */
  async deleteAvatar(contactId: ID, options?: RequestOptions): Promise<Contact> {
    return this.client.request({ method: "DELETE", path: `/contacts/${idPath(contactId)}/avatar`, options });
  }
}

/** A one-file multipart form, the file in the part named `file` as the server expects. */
function fileForm(file: Blob, filename: string | undefined): FormData {
  if (typeof Blob === "undefined" || !(file instanceof Blob)) {
    throw new ContactdError("Expected the file as a Blob or File");
  }
  const form = new FormData();
  if (filename === undefined) form.append("file", file);
  else form.append("file", file, filename);
  return form;
}

function exportQuery(params: ContactExportParams) {
  return {
    columns: params.columns?.join(","),
    q: params.q,
    labels: params.labels,
    sort: params.sort,
    direction: params.direction,
    bom: params.bom,
  };
}

import { EVENTS_CHANNEL } from "../store/events.js";
import { EXPORTS_CHANNEL } from "../store/export-jobs.js";
import { IMPORTS_CHANNEL } from "../store/imports.js";
import { maintainDatabase } from "../store/maintenance.js";
import { queueDepths } from "../store/operations.js";
import { DELIVERIES_CHANNEL } from "../store/webhooks.js";
import { administratorOf } from "./accounts/administrator.js";
import { createAccount } from "./accounts/create.js";
import { type AccountSettings, getAccountSettings, updateAccountSettings } from "./accounts/settings.js";
import { type ActivityPageInput, contactActivities, conversationActivities } from "./activities/list.js";
import type { Actor } from "./actor.js";
import { authenticate, authenticateToken } from "./auth/authenticate.js";
import { CredentialCache } from "./auth/credential-cache.js";
import { createApiKey, createUser, listApiKeys, listUsers, revokeApiKey, whoAmI } from "./auth/keys.js";
import { removeContactAvatar } from "./avatars/remove.js";
import { serveAvatar } from "./avatars/serve.js";
import { setContactAvatar } from "./avatars/set.js";
import { uploadImage } from "./avatars/upload.js";
import { getComment, listComments } from "./comments/list.js";
import { type CommentInput, createComment, deleteComment, updateComment } from "./comments/write.js";
import { type BatchOperation, runContactBatch } from "./contacts/batch.js";
import type { ContactInput } from "./contacts/contact.js";
import { createContact } from "./contacts/create.js";
import { deleteContact } from "./contacts/delete.js";
import { type FilterInput, filterContacts } from "./contacts/filter.js";
import { getContact } from "./contacts/get.js";
import { type ListInput, listContacts } from "./contacts/list.js";
import { type LookupInput, lookupContact } from "./contacts/lookup.js";
import { type MergeInput, mergeContacts } from "./contacts/merge.js";
import { type SearchInput, searchContacts } from "./contacts/search.js";
import { SearchSampleCache } from "./contacts/search-sample.js";
import { missingContact } from "./contacts/survivor.js";
import { updateContact } from "./contacts/update.js";
import { upsertContact } from "./contacts/upsert.js";
import type { ExpectedVersions } from "./contacts/version.js";
import { type ConversationInput, createConversation } from "./conversations/create.js";
import { type ConversationListInput, getConversation, listConversations } from "./conversations/list.js";
import { type ConversationPatch, updateConversationState } from "./conversations/update.js";
import type { CoreDeps } from "./deps.js";
import { dispatchAllEvents, dispatchEvents } from "./events/dispatch.js";
import { type ContactsCsvOptions, contactsCsv } from "./exports/contacts-csv.js";
import { downloadExport, getExportJob, listExports, requestExport, runDueExports } from "./exports/jobs.js";
import { deleteFile } from "./files/delete.js";
import { downloadFile } from "./files/download.js";
import type { FilePageInput, IncomingFile } from "./files/file.js";
import { getFile, listFiles } from "./files/list.js";
import { uploadFile } from "./files/upload.js";
import { followContact, listContactFollowers, unfollowContact } from "./followers/follow.js";
import { sweepLeftovers } from "./housekeeping/sweep.js";
import { claimIdempotency, finishIdempotency, keepClaimAlive } from "./idempotency/replay.js";
import { actingUnderKey, depsFor } from "./idempotency/scope.js";
import { failedRowsCsv, getImport, listAccountImports } from "./imports/read.js";
import { type RunOptions, runDueImports } from "./imports/run.js";
import { type ImportUpload, startImport } from "./imports/start.js";
import { type AttachInput, attachContactToInbox } from "./inboxes/contact-inbox.js";
import { contactableInboxes } from "./inboxes/contactable.js";
import { createInbox, deleteInbox, getInbox, type InboxInput, listInboxes, updateInbox } from "./inboxes/manage.js";
import {
  addLabelsToContact,
  contactLabels,
  removeLabelsFromContact,
  setContactLabels,
} from "./labels/contact-labels.js";
import { listLabels } from "./labels/list.js";
import { RateLimiter } from "./limits/rate-limiter.js";
import {
  dismissAllNotifications,
  dismissNotification,
  dismissNotifications,
  listNotifications,
  markNotificationsRead,
} from "./notifications/inbox.js";
import { NotificationFeed } from "./notifications/live.js";
import { checkReadiness } from "./operations/readiness.js";
import { listAttempts, listDeliveries, retryDelivery } from "./webhooks/deliveries.js";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookInput,
} from "./webhooks/manage.js";
import { DeliverySender } from "./webhooks/send.js";

/** The core's whole surface, bound to its dependencies: what faces are given. */
export function createCore(deps: CoreDeps) {
  // What a request's work runs with: the same, with its Idempotency-Key marked by its writes.
  const depsOf = (actor: Actor) => depsFor(deps, actor);
  const feed = new NotificationFeed(deps);
  const credentials = new CredentialCache(deps);
  const searchSamples = new SearchSampleCache(deps.db);
  const limiter =
    deps.settings.rateLimitPerMinute > 0 ? new RateLimiter(deps.db, deps.settings.rateLimitPerMinute) : null;
  return {
    /** Counts a request of the actor's credential against its per-minute limit; null when there is none. */
    rateLimit: limiter ? (actor: Actor) => limiter.take(actor) : null,
    auth: {
      authenticate: (key: string, secret: string) => authenticate(credentials, key, secret),
      /** For faces whose clients send one token (`key.secret`) in a header of their own. */
      authenticateToken: (token: string) => authenticateToken(credentials, token),
      whoAmI: (actor: Actor) => whoAmI(depsOf(actor), actor),
      listUsers: (actor: Actor) => listUsers(depsOf(actor), actor),
      createUser: (actor: Actor, input: Parameters<typeof createUser>[2]) => createUser(depsOf(actor), actor, input),
      listApiKeys: (actor: Actor) => listApiKeys(depsOf(actor), actor),
      createApiKey: (actor: Actor, input: Parameters<typeof createApiKey>[2]) =>
        createApiKey(depsOf(actor), actor, input),
      revokeApiKey: async (actor: Actor, id: number) => {
        const revoked = await revokeApiKey(depsOf(actor), actor, id);
        credentials.drop(revoked.key);
        return revoked;
      },
    },
    contacts: {
      create: (actor: Actor, input: ContactInput, inbox?: AttachInput) =>
        createContact(depsOf(actor), actor, input, inbox),
      get: (actor: Actor, id: number, options?: { includeContactInboxes?: boolean }) =>
        getContact(depsOf(actor), actor, id, options),
      update: (actor: Actor, id: number, input: ContactInput, expected?: ExpectedVersions) =>
        updateContact(depsOf(actor), actor, id, input, expected),
      delete: (actor: Actor, id: number, expected?: ExpectedVersions) =>
        deleteContact(depsOf(actor), actor, id, expected),
      upsert: (actor: Actor, input: ContactInput) => upsertContact(depsOf(actor), actor, input),
      batch: (actor: Actor, operations: BatchOperation[]) => runContactBatch(depsOf(actor), actor, operations),
      list: (actor: Actor, input: ListInput) => listContacts(depsOf(actor), actor, input),
      search: (actor: Actor, input: SearchInput) => searchContacts(depsOf(actor), searchSamples, actor, input),
      /** Chatwoot's filter: conditions on standard keys and custom attributes, joined with AND and OR. */
      filter: (actor: Actor, input: FilterInput) => filterContacts(depsOf(actor), actor, input),
      lookup: (actor: Actor, input: LookupInput) => lookupContact(depsOf(actor), actor, input),
      attachToInbox: (actor: Actor, contactId: number, input: AttachInput) =>
        attachContactToInbox(depsOf(actor), actor, contactId, input),
      activities: (actor: Actor, contactId: number, input: ActivityPageInput) =>
        contactActivities(depsOf(actor), actor, contactId, input),
      merge: (actor: Actor, input: MergeInput) => mergeContacts(depsOf(actor), actor, input),
      /** Why an id names no contact: a ContactMergedError naming the survivor, or a NotFoundError. */
      missing: (actor: Actor, id: number) => missingContact(depsOf(actor), actor, id),
    },
    account: {
      settings: (actor: Actor) => getAccountSettings(depsOf(actor), actor),
      updateSettings: (actor: Actor, input: Partial<AccountSettings>) =>
        updateAccountSettings(depsOf(actor), actor, input),
    },
    /** For operators (the command line), not for any face: accounts are made outside the API. */
    accounts: {
      create: (input: { name: string; key?: { key: string; secret: string } }) =>
        deps.db.transaction((tx) => createAccount(tx, input)),
      administrator: (accountId: number) => administratorOf(deps, accountId),
    },
    exports: {
      contactsCsv: (actor: Actor, options: ContactsCsvOptions) => contactsCsv(depsOf(actor), actor, options),
      request: (actor: Actor, options: ContactsCsvOptions) => requestExport(depsOf(actor), actor, options),
      get: (actor: Actor, id: number) => getExportJob(depsOf(actor), actor, id),
      list: (actor: Actor, input: { limit?: number; skip?: number }) => listExports(depsOf(actor), actor, input),
      download: (actor: Actor, id: number) => downloadExport(depsOf(actor), actor, id),
      /** Works through queued exports; what the background loop runs. */
      runDue: (options?: { accountId?: number }) => runDueExports(deps, options),
      /** Calls `onQueued` when any process queues an export. */
      watch: (onQueued: () => void) => deps.db.listen(EXPORTS_CHANNEL, onQueued),
    },
    imports: {
      /** Largest CSV file accepted, in bytes. */
      maxBytes: deps.settings.maxImportBytes,
      start: (actor: Actor, upload: ImportUpload) => startImport(depsOf(actor), actor, upload),
      get: (actor: Actor, id: number) => getImport(depsOf(actor), actor, id),
      list: (actor: Actor, input: { limit?: number; skip?: number }) => listAccountImports(depsOf(actor), actor, input),
      failedRows: (actor: Actor, id: number) => failedRowsCsv(depsOf(actor), actor, id),
      /** Works through queued imports (and ones whose worker died); what the background loop runs. */
      runDue: (options?: RunOptions) => runDueImports(deps, options),
      /** Calls `onQueued` when any process queues an import. */
      watch: (onQueued: () => void) => deps.db.listen(IMPORTS_CHANNEL, onQueued),
    },
    inboxes: {
      create: (actor: Actor, input: InboxInput) => createInbox(depsOf(actor), actor, input),
      update: (actor: Actor, id: number, input: InboxInput) => updateInbox(depsOf(actor), actor, id, input),
      delete: (actor: Actor, id: number) => deleteInbox(depsOf(actor), actor, id),
      get: (actor: Actor, id: number) => getInbox(depsOf(actor), actor, id),
      list: (actor: Actor) => listInboxes(depsOf(actor), actor),
      /** The inboxes that can reach a contact now, each with the source id it would use. */
      contactable: (actor: Actor, contactId: number) => contactableInboxes(depsOf(actor), actor, contactId),
    },
    conversations: {
      create: (actor: Actor, input: ConversationInput) => createConversation(depsOf(actor), actor, input),
      get: (actor: Actor, id: number) => getConversation(depsOf(actor), actor, id),
      list: (actor: Actor, input: ConversationListInput) => listConversations(depsOf(actor), actor, input),
      update: (actor: Actor, id: number, patch: ConversationPatch) =>
        updateConversationState(depsOf(actor), actor, id, patch),
      activities: (actor: Actor, id: number, input: ActivityPageInput) =>
        conversationActivities(depsOf(actor), actor, id, input),
    },
    comments: {
      create: (actor: Actor, contactId: number, input: CommentInput) =>
        createComment(depsOf(actor), actor, contactId, input),
      get: (actor: Actor, contactId: number, id: number) => getComment(depsOf(actor), actor, contactId, id),
      list: (actor: Actor, contactId: number, input: { limit?: number; skip?: number; withTotal?: boolean }) =>
        listComments(depsOf(actor), actor, contactId, input),
      update: (actor: Actor, contactId: number, id: number, input: CommentInput) =>
        updateComment(depsOf(actor), actor, contactId, id, input),
      delete: (actor: Actor, contactId: number, id: number) => deleteComment(depsOf(actor), actor, contactId, id),
    },
    labels: {
      list: (actor: Actor) => listLabels(depsOf(actor), actor),
      ofContact: (actor: Actor, contactId: number) => contactLabels(depsOf(actor), actor, contactId),
      set: (actor: Actor, contactId: number, names: string[]) =>
        setContactLabels(depsOf(actor), actor, contactId, names),
      add: (actor: Actor, contactId: number, names: string[]) =>
        addLabelsToContact(depsOf(actor), actor, contactId, names),
      remove: (actor: Actor, contactId: number, names: string[]) =>
        removeLabelsFromContact(depsOf(actor), actor, contactId, names),
    },
    files: {
      /** Largest file accepted, in bytes. */
      maxBytes: deps.settings.maxFileBytes,
      upload: (actor: Actor, contactId: number, file: IncomingFile) =>
        uploadFile(depsOf(actor), actor, contactId, file),
      list: (actor: Actor, contactId: number, input: FilePageInput) =>
        listFiles(depsOf(actor), actor, contactId, input),
      get: (actor: Actor, contactId: number, id: number) => getFile(depsOf(actor), actor, contactId, id),
      download: (actor: Actor, contactId: number, id: number) => downloadFile(depsOf(actor), actor, contactId, id),
      delete: (actor: Actor, contactId: number, id: number) => deleteFile(depsOf(actor), actor, contactId, id),
    },
    avatars: {
      /** Largest image accepted, in bytes. */
      maxBytes: deps.settings.maxAvatarBytes,
      set: (actor: Actor, contactId: number, file: IncomingFile) =>
        setContactAvatar(depsOf(actor), actor, contactId, file),
      remove: (actor: Actor, contactId: number) => removeContactAvatar(depsOf(actor), actor, contactId),
      upload: (actor: Actor, file: IncomingFile) => uploadImage(depsOf(actor), actor, file),
      /** Public: no actor, the key is the capability. */
      serve: (key: string) => serveAvatar(deps, key),
    },
    events: {
      /** One batch of pending events; what the background dispatcher runs. */
      dispatch: (batchSize?: number) => dispatchEvents(deps, batchSize),
      dispatchAll: () => dispatchAllEvents(deps),
      /** Calls `onNew` when any process commits events (or may have: after a lost connection). */
      watch: (onNew: () => void) => deps.db.listen(EVENTS_CHANNEL, onNew),
    },
    notifications: {
      list: (actor: Actor, input: { limit?: number; skip?: number }) => listNotifications(depsOf(actor), actor, input),
      markRead: (actor: Actor, ids?: number[]) => markNotificationsRead(depsOf(actor), actor, ids),
      dismiss: (actor: Actor, id: number) => dismissNotification(depsOf(actor), actor, id),
      /** All of the given ids or none. */
      dismissMany: (actor: Actor, ids: number[]) => dismissNotifications(depsOf(actor), actor, ids),
      dismissAll: (actor: Actor) => dismissAllNotifications(depsOf(actor), actor),
      streamStart: (actor: Actor, lastEventId: number | undefined) => feed.startingPoint(actor, lastEventId),
      subscribe: (...args: Parameters<NotificationFeed["subscribe"]>) => feed.subscribe(...args),
    },
    followers: {
      list: (actor: Actor, contactId: number) => listContactFollowers(depsOf(actor), actor, contactId),
      follow: (actor: Actor, contactId: number, userId: number) =>
        followContact(depsOf(actor), actor, contactId, userId),
      unfollow: (actor: Actor, contactId: number, userId: number) =>
        unfollowContact(depsOf(actor), actor, contactId, userId),
    },
    webhooks: {
      create: (actor: Actor, input: WebhookInput) => createWebhook(depsOf(actor), actor, input),
      list: (actor: Actor) => listWebhooks(depsOf(actor), actor),
      get: (actor: Actor, id: number) => getWebhook(depsOf(actor), actor, id),
      update: (actor: Actor, id: number, input: WebhookInput) => updateWebhook(depsOf(actor), actor, id, input),
      delete: (actor: Actor, id: number) => deleteWebhook(depsOf(actor), actor, id),
      rotateSecret: (actor: Actor, id: number) => rotateWebhookSecret(depsOf(actor), actor, id),
      deliveries: (actor: Actor, id: number, input: { limit?: number; skip?: number; status?: string }) =>
        listDeliveries(depsOf(actor), actor, id, input),
      attempts: (actor: Actor, id: number, deliveryId: number) => listAttempts(depsOf(actor), actor, id, deliveryId),
      retry: (actor: Actor, id: number, deliveryId: number) => retryDelivery(depsOf(actor), actor, id, deliveryId),
      /** The background sender of due deliveries (one per process). */
      sender: (options: ConstructorParameters<typeof DeliverySender>[1]) => new DeliverySender(deps, options),
      /** Calls `onDue` when deliveries may have become due in any process. */
      watch: (onDue: () => void) => deps.db.listen(DELIVERIES_CHANNEL, onDue),
    },
    /** Ends what the core keeps open (the database listeners of live streams and of the credential cache). */
    close: async () => {
      await feed.close();
      await credentials.close();
    },
    /** What operators watch: readiness, work waiting for the background workers, the connection pool. */
    operations: {
      readiness: () => checkReadiness(deps),
      queueDepths: () => queueDepths(deps.db),
      poolStats: () => deps.db.poolStats(),
    },
    /** Removes staged uploads and bytes left by crashes, and expired Idempotency-Keys. */
    sweepLeftovers: (now?: Date) => sweepLeftovers(deps, now),
    /** Merges GIN pending lists, and on PGlite (no autovacuum) vacuums and analyzes as autovacuum would. */
    maintainDatabase: () => maintainDatabase(deps.db),
    idempotency: {
      claim: (actor: Actor, key: string, fingerprint: string) => claimIdempotency(deps, actor, key, fingerprint),
      finish: (actor: Actor, key: string, statusCode: number, body: string | null) =>
        finishIdempotency(deps, actor, key, statusCode, body),
      /** Renews a claim while its request runs (a long upload); returns the stop. */
      keepAlive: (actor: Actor, key: string) => keepClaimAlive(deps, actor, key),
      /** The actor of a request holding `key`: its writes mark the key applied as they commit. */
      actingUnder: (actor: Actor, key: string): Actor => actingUnderKey(actor, key),
    },
  };
}

export type Core = ReturnType<typeof createCore>;

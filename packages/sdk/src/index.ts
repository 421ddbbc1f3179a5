import { Contactd } from "./contactd.js";

export { Contactd };
export default Contactd;

export {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ContactdError,
  GoneError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  WebhookVerificationError,
} from "./errors.js";
export type * from "./file-types.js";
export type * from "./linked-types.js";
export type * from "./notification-types.js";
export type { NoExtras, PageLoader, PageOf, PagePosition, PagingStyle } from "./pagination.js";
export { Page, PagePromise } from "./pagination.js";
export { ContactComments } from "./resources/contact-comments.js";
export { ContactLabels } from "./resources/contact-labels.js";
export { Contacts } from "./resources/contacts.js";
export { Conversations } from "./resources/conversations.js";
export type { ContactExport } from "./resources/exports.js";
export { Exports } from "./resources/exports.js";
export type { ContactImport, ImportCreateParams } from "./resources/imports.js";
export { Imports } from "./resources/imports.js";
export { Inboxes } from "./resources/inboxes.js";
export type { WaitParams } from "./resources/jobs.js";
export { Labels } from "./resources/labels.js";
export { NotificationStream } from "./resources/notification-stream.js";
export { Notifications } from "./resources/notifications.js";
export { Webhooks } from "./resources/webhooks.js";
export type * from "./types.js";
export { signWebhook, verifyWebhook } from "./webhook-signature.js";
export type * from "./webhook-types.js";

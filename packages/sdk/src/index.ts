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
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from "./errors.js";
export type { PageLoader, PagePosition, PagingStyle } from "./pagination.js";
export { Page, PagePromise } from "./pagination.js";
export { ContactLabels } from "./resources/contact-labels.js";
export { Contacts } from "./resources/contacts.js";
export { Labels } from "./resources/labels.js";
export type * from "./types.js";

import { APIClient } from "./client.js";
import { Contacts } from "./resources/contacts.js";
import { Conversations } from "./resources/conversations.js";
import { Exports } from "./resources/exports.js";
import { Imports } from "./resources/imports.js";
import { Inboxes } from "./resources/inboxes.js";
import { Labels } from "./resources/labels.js";
import { Notifications } from "./resources/notifications.js";
import { Webhooks } from "./resources/webhooks.js";
import type { ClientOptions, Me, RequestOptions } from "./types.js";

/**
 * The contactd API client.
 *
 * ```ts
 * const client = new Contactd({ baseUrl: "http://127.0.0.1:3000", apiKey: "ck_…", apiSecret: "…" });
 * for await (const contact of client.contacts.list({ limit: 100 })) console.log(contact.name);
 * ```
 */
export class Contactd {
  readonly contacts: Contacts;
  readonly labels: Labels;
  readonly inboxes: Inboxes;
  readonly conversations: Conversations;
  /** The caller's notifications, also live: `client.notifications.stream()`. */
  readonly notifications: Notifications;
  /** Endpoints that receive the account's events (administrators). */
  readonly webhooks: Webhooks;
  /** CSV imports of contacts: `await client.imports.wait((await client.imports.create(file)).id)`. */
  readonly imports: Imports;
  /** CSV exports written in the background: `client.exports.create({ columns: [...] })`, then `wait` and `downloadCsv`. */
  readonly exports: Exports;
  readonly #client: APIClient;

  constructor(options: ClientOptions) {
    this.#client = new APIClient(options);
    this.notifications = new Notifications(this.#client);
    this.webhooks = new Webhooks(this.#client);
    this.imports = new Imports(this.#client);
    this.exports = new Exports(this.#client);
    this.contacts = new Contacts(this.#client, this.notifications);
    this.labels = new Labels(this.#client);
    this.inboxes = new Inboxes(this.#client);
    this.conversations = new Conversations(this.#client);
  }

  get baseUrl(): string {
    return this.#client.baseUrl;
  }

  /** The user, organization and API key these credentials act as. */
  me(options?: RequestOptions): Promise<Me> {
    return this.#client.request({ method: "GET", path: "/me", options });
  }
}

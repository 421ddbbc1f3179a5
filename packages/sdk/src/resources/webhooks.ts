import type { APIClient } from "../client.js";
import type { PagePromise } from "../pagination.js";
import type { ID, RequestOptions } from "../types.js";
import type {
  Webhook,
  WebhookAttempt,
  WebhookCreateParams,
  WebhookDeleted,
  WebhookDelivery,
  WebhookDeliveryListParams,
  WebhookListExtras,
  WebhookUpdateParams,
} from "../webhook-types.js";
import { idPath } from "./ids.js";
import { skipPaged } from "./paged.js";

/**
 * Endpoints that receive the account's events as signed HTTP POSTs (check them with
 * `verifyWebhook`), and the record of every delivery. Administrators only: agents get
 * PermissionDeniedError.
 */
export class Webhooks {
  constructor(private readonly client: APIClient) {}

  /**
   * Registers an endpoint for some event types (or "*"). The answer holds the signing `secret`,
   * the only time besides `rotateSecret` it is shown. Retries reuse one Idempotency-Key, so a lost
   * response cannot register it twice.
   */
  async create(params: WebhookCreateParams, options?: RequestOptions): Promise<Webhook> {
    return this.client.request({ method: "POST", path: "/webhooks", body: params, options });
  }

  /** Every webhook of the account, with `total` (the server sends them in one page). */
  list(options?: RequestOptions): PagePromise<Webhook, WebhookListExtras> {
    return skipPaged(this.client, () => "/webhooks", {}, options);
  }

  /** The webhook, without its secret. */
  async get(id: ID, options?: RequestOptions): Promise<Webhook> {
    return this.client.request({ method: "GET", path: `/webhooks/${idPath(id)}`, options });
  }

  /** Changes only the given fields; `active: false` pauses deliveries. */
  async update(id: ID, params: WebhookUpdateParams, options?: RequestOptions): Promise<Webhook> {
    return this.client.request({ method: "PATCH", path: `/webhooks/${idPath(id)}`, body: params, options });
  }

  /** Deletes the webhook with its delivery records. */
  async delete(id: ID, options?: RequestOptions): Promise<WebhookDeleted> {
    return this.client.request({ method: "DELETE", path: `/webhooks/${idPath(id)}`, options });
  }

  /** Replaces the signing secret; the answer holds the new one. */
  async rotateSecret(id: ID, options?: RequestOptions): Promise<Webhook> {
    return this.client.request({ method: "POST", path: `/webhooks/${idPath(id)}/rotate_secret`, options });
  }

  /** The webhook's deliveries, newest first, optionally of one status; pages by skip. */
  listDeliveries(
    webhookId: ID,
    params: WebhookDeliveryListParams = {},
    options?: RequestOptions,
  ): PagePromise<WebhookDelivery, WebhookListExtras> {
    const { limit, skip, status } = params;
    return skipPaged(this.client, () => `/webhooks/${idPath(webhookId)}/deliveries`, { limit, skip, status }, options);
  }

  /** Every attempt at one delivery, oldest first (in one page). */
  listAttempts(
    webhookId: ID,
    deliveryId: ID,
    options?: RequestOptions,
  ): PagePromise<WebhookAttempt, WebhookListExtras> {
    const path = () => `/webhooks/${idPath(webhookId)}/deliveries/${idPath(deliveryId)}/attempts`;
    return skipPaged(this.client, path, {}, options);
  }

  /** Sends a delivery again now, e.g. a failed one once the receiver is fixed; it is pending again. */
  async retryDelivery(webhookId: ID, deliveryId: ID, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.client.request({
      method: "POST",
      path: `/webhooks/${idPath(webhookId)}/deliveries/${idPath(deliveryId)}/retry`,
      options,
    });
  }
}

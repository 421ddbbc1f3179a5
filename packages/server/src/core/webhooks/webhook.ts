import type { WebhookRow } from "../../store/webhooks.js";

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  description: string;
  includeSystemChanges: boolean;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Only right after creation or rotation: the one time the secret is handed out. */
  secret?: string;
}

export function toWebhook(row: WebhookRow, options: { withSecret?: boolean } = {}): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    includeSystemChanges: row.include_system_changes,
    active: row.active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(options.withSecret ? { secret: row.secret } : {}),
  };
}

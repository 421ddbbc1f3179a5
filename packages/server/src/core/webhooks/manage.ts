import * as store from "../../store/webhooks.js";
import { type Actor, requireAdministrator } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { FieldErrors, NotFoundError } from "../errors.js";
import { ALL_EVENTS, EVENT_TYPES } from "./event-types.js";
import { newWebhookSecret } from "./signature.js";
import { toWebhook, type Webhook } from "./webhook.js";

/** Administrators register, change and remove the endpoints their account's events are sent to. */

export interface WebhookInput {
  url?: string;
  events?: string[];
  description?: string;
  includeSystemChanges?: boolean;
  active?: boolean;
}

const MAX_URL = 2048;
const MAX_DESCRIPTION = 500;
const KNOWN_EVENTS = new Set<string>([...EVENT_TYPES, ALL_EVENTS]);

export async function createWebhook(deps: CoreDeps, actor: Actor, input: WebhookInput): Promise<Webhook> {
  requireAdministrator(actor);
  const errors = new FieldErrors();
  if (input.url === undefined) errors.add("url", "required", "is required");
  if (input.events === undefined) errors.add("events", "required", "is required");
  const columns = checkColumns(
    { url: "", events: [], description: "", includeSystemChanges: false, active: true },
    input,
    errors,
  );
  errors.throwIfAny();
  const secret = newWebhookSecret();
  const id = await deps.db.transaction(async (tx) => {
    await store.lockSubscriptions(tx, actor.accountId, "exclusive");
    return store.insertWebhook(tx, actor.accountId, { ...columns, secret });
  });
  return toWebhook((await store.findWebhook(deps.db, actor.accountId, id)) as store.WebhookRow, { withSecret: true });
}

export async function listWebhooks(deps: CoreDeps, actor: Actor): Promise<Webhook[]> {
  requireAdministrator(actor);
  return (await store.listWebhooks(deps.db, actor.accountId)).map((row) => toWebhook(row));
}

export async function getWebhook(deps: CoreDeps, actor: Actor, id: number): Promise<Webhook> {
  requireAdministrator(actor);
  return toWebhook(await existing(deps, actor, id));
}

export async function updateWebhook(deps: CoreDeps, actor: Actor, id: number, input: WebhookInput): Promise<Webhook> {
  requireAdministrator(actor);
  return deps.db.transaction(async (tx) => {
    await store.lockSubscriptions(tx, actor.accountId, "exclusive");
    const current = await store.findWebhook(tx, actor.accountId, id, { forUpdate: true });
    if (!current) throw new NotFoundError("webhook");
    const errors = new FieldErrors();
    const columns = checkColumns(
      {
        url: current.url,
        events: current.events,
        description: current.description,
        includeSystemChanges: current.include_system_changes,
        active: current.active,
      },
      input,
      errors,
    );
    errors.throwIfAny();
    await store.updateWebhook(tx, actor.accountId, id, columns);
    return toWebhook((await store.findWebhook(tx, actor.accountId, id)) as store.WebhookRow);
  });
}

export async function deleteWebhook(deps: CoreDeps, actor: Actor, id: number): Promise<void> {
  requireAdministrator(actor);
  if ((await store.deleteWebhook(deps.db, actor.accountId, id)) === 0) throw new NotFoundError("webhook");
}

/** A new signing secret; the old one stops signing at once. */
export async function rotateWebhookSecret(deps: CoreDeps, actor: Actor, id: number): Promise<Webhook> {
  requireAdministrator(actor);
  await existing(deps, actor, id);
  const secret = newWebhookSecret();
  await deps.db.transaction((tx) => store.setWebhookSecret(tx, actor.accountId, id, secret));
  return toWebhook(await existing(deps, actor, id), { withSecret: true });
}

async function existing(deps: CoreDeps, actor: Actor, id: number): Promise<store.WebhookRow> {
  const row = await store.findWebhook(deps.db, actor.accountId, id);
  if (!row) throw new NotFoundError("webhook");
  return row;
}

function checkColumns(current: store.WebhookColumns, input: WebhookInput, errors: FieldErrors): store.WebhookColumns {
  const next = { ...current };
  if (input.url !== undefined) next.url = checkUrl(input.url, errors);
  if (input.events !== undefined) next.events = checkEvents(input.events, errors);
  if (input.description !== undefined) {
    next.description = input.description.trim();
    if ([...next.description].length > MAX_DESCRIPTION) {
      errors.add("description", "too_long", `must be at most ${MAX_DESCRIPTION} characters`);
    }
  }
  if (input.includeSystemChanges !== undefined) next.includeSystemChanges = input.includeSystemChanges;
  if (input.active !== undefined) next.active = input.active;
  return next;
}

function checkUrl(value: string, errors: FieldErrors): string {
  const url = value.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || !["http:", "https:"].includes(parsed.protocol) || !/^https?:\/\//i.test(url)) {
    errors.add("url", "invalid_url", "must be an absolute http:// or https:// URL");
  } else if (url.length > MAX_URL) {
    errors.add("url", "too_long", `must be at most ${MAX_URL} characters`);
  }
  // Schemes are case-insensitive; stored lower-case, as the table's check expects.
  return url.replace(/^https?/i, (scheme) => scheme.toLowerCase());
}

function checkEvents(events: string[], errors: FieldErrors): string[] {
  const unique = [...new Set(events.map((event) => event.trim()))];
  if (unique.length === 0) errors.add("events", "required", "name at least one event type, or * for all");
  const unknown = unique.filter((event) => !KNOWN_EVENTS.has(event));
  if (unknown.length > 0) {
    errors.add(
      "events",
      "unknown_event_type",
      `unknown event types: ${unknown.join(", ")}; known: ${EVENT_TYPES.join(", ")}, *`,
    );
  }
  return unique;
}

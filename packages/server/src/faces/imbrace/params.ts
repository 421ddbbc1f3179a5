import type { ContactInput, Direction } from "../../core/contacts/contact.js";
import { BadRequestError, FieldErrors, NotFoundError } from "../../core/errors.js";
import { CHANNELS, channelTypeOf } from "../../core/inboxes/inbox.js";

/** Turns iMBRACE's request conventions into core inputs. */

const ID = /^[1-9][0-9]{0,14}$/;

/** contactd ids are positive integers; anything else (iMBRACE's `con_…`, `not_…`) names no record. */
export function parseId(value: string | number, resource: string): number {
  const text = String(value);
  if (!ID.test(text)) throw new NotFoundError(resource);
  return Number(text);
}

export function isId(text: string): boolean {
  return ID.test(text);
}

/** Names clients read in the contact JSON, sorted on as the core's keys. */
const SORT_ALIASES: Record<string, string> = { display_name: "name" };

/** `sort=-created_at` (descending) or `sort=created_at` (ascending); an unknown key is a 400 naming it. */
export function sortFrom<K extends string>(
  text: string | undefined,
  keys: readonly K[],
): { sort?: K; direction?: Direction } {
  const trimmed = text?.trim() ?? "";
  if (trimmed === "") return {};
  const descending = trimmed.startsWith("-");
  const name = trimmed.replace(/^[-+]/, "");
  const key = (SORT_ALIASES[name] ?? name) as K;
  if (!keys.includes(key)) {
    throw new BadRequestError(
      "invalid_sort",
      `sort: unknown key "${name}"; use one of ${keys.join(", ")}, with a leading - for descending`,
    );
  }
  return { sort: key, direction: descending ? "desc" : "asc" };
}

/** iMBRACE channels contactd has no inbox type for: asking for them finds no conversation. */
const CHANNELS_WITHOUT_INBOXES = new Set(["wechat"]);
/** iMBRACE names for contactd channels. */
const CHANNEL_ALIASES: Record<string, string> = { messenger: "facebook" };

/**
 * `channel_types=whatsapp,web` or `channel_types=web&channel_types=whatsapp`, as core channel
 * types; null when only channels contactd has no inboxes for were asked for (nothing matches).
 */
export function channelTypesFrom(values: string[] | undefined): string[] | undefined | null {
  const names = values
    ?.flatMap((value) => value.split(","))
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (!names?.length) return undefined;
  const types: string[] = [];
  for (const name of names) {
    if (CHANNELS_WITHOUT_INBOXES.has(name)) continue;
    const type = channelTypeOf(CHANNEL_ALIASES[name] ?? name);
    if (type === null) {
      const known = [...Object.values(CHANNELS), ...CHANNELS_WITHOUT_INBOXES, ...Object.keys(CHANNEL_ALIASES)];
      throw new BadRequestError(
        "invalid_channel_type",
        `channel_types: unknown channel type "${name}"; use ${known.join(", ")}`,
      );
    }
    types.push(type);
  }
  return types.length > 0 ? types : null;
}

/** The short name iMBRACE uses for a channel (`web`, `whatsapp`), or the type itself. */
export function channelName(type: string): string {
  return (CHANNELS as Record<string, string>)[type] ?? type;
}

type IdValue = string | number;
export type NotificationIdsBody = IdValue[] | { notification_id?: IdValue | IdValue[] } | undefined | null;

/** The ids of `{notification_id: [...]}`, `{notification_id: "id"}` or a bare array; [] when none. */
export function notificationIdsFrom(body: NotificationIdsBody): number[] {
  const given = Array.isArray(body) ? body : body?.notification_id;
  const ids = given === undefined ? [] : Array.isArray(given) ? given : [given];
  return ids.map((id) => parseId(id, "notification"));
}

export function requireNotificationIds(ids: number[]): number[] {
  if (ids.length === 0) {
    const errors = new FieldErrors();
    errors.add("notification_id", "required", "name the notification to dismiss (or use /notifications/dismiss/all)");
    errors.throwIfAny();
  }
  return ids;
}

export interface ContactUpdateBody {
  name?: string | null;
  display_name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  phone_number?: string | null;
  area_code?: string | null;
  avatar_url?: string | null;
}

const blank = (value: string | null | undefined) => value == null || value.trim() === "";

/**
 * The SDK's `{name, email, phone}` and the service's own `{first_name, last_name, area_code,
 * phone_number, avatar_url}`. first and last name make the name only when no name is given and
 * one of them has text; iMBRACE's split phone (`area_code` 852, `phone_number` 88888888) is
 * joined into one international number.
 */
export function contactInputFrom(body: ContactUpdateBody): ContactInput {
  const input: ContactInput = {};
  if (body.name !== undefined) input.name = body.name;
  else if (body.display_name !== undefined) input.name = body.display_name;
  else if (!blank(body.first_name) || !blank(body.last_name)) {
    input.name = [body.first_name, body.last_name].filter((part) => !blank(part)).join(" ");
  }
  const phone = body.phone !== undefined ? body.phone : body.phone_number;
  if (phone !== undefined) input.phoneNumber = withAreaCode(phone, body.area_code);
  if (body.email !== undefined) input.email = body.email;
  if (body.avatar_url !== undefined) input.avatarUrl = body.avatar_url;
  return input;
}

function withAreaCode(phone: string | null, areaCode: string | null | undefined): string | null {
  const code = areaCode?.replace(/\D/g, "") ?? "";
  if (phone === null || blank(phone) || code === "" || phone.trim().startsWith("+")) return phone;
  return `+${code}${phone.trim()}`;
}

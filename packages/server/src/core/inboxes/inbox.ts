import type { InboxRow } from "../../store/inboxes.js";

export interface Inbox {
  id: number;
  accountId: number;
  name: string;
  channelType: ChannelType;
  provider: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The channels an inbox can be, with the short names list filters accept (`channel_types=whatsapp,web`). */
export const CHANNELS = {
  "Channel::Email": "email",
  "Channel::Api": "api",
  "Channel::Whatsapp": "whatsapp",
  "Channel::WebWidget": "web",
  "Channel::Sms": "sms",
  "Channel::TwilioSms": "twilio",
  "Channel::Telegram": "telegram",
  "Channel::FacebookPage": "facebook",
  "Channel::Instagram": "instagram",
  "Channel::Line": "line",
  "Channel::Voice": "voice",
} as const;

export type ChannelType = keyof typeof CHANNELS;
export const CHANNEL_TYPES = Object.keys(CHANNELS) as ChannelType[];

/** A channel type from its full name or short name, case-insensitively; null when unknown. */
export function channelTypeOf(name: string): ChannelType | null {
  const wanted = name.trim().toLowerCase();
  for (const [type, short] of Object.entries(CHANNELS)) {
    if (type.toLowerCase() === wanted || short === wanted) return type as ChannelType;
  }
  return null;
}

export function toInbox(row: InboxRow): Inbox {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    channelType: row.channel_type as ChannelType,
    provider: row.provider,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

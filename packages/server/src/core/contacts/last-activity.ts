import { markContactActive } from "../../store/conversations.js";
import type { Queryable } from "../../store/database.js";
import type { Actor } from "../actor.js";
import { recordEvents } from "../events/record.js";

/**
 * Something happened in a conversation: the contact's last activity moves to now. This is a
 * system change, so it is an event (webhooks may ask for it) but not a history entry.
 */
export async function markContactActiveNow(tx: Queryable, actor: Actor, contactId: number): Promise<void> {
  const moved = await markContactActive(tx, actor.accountId, contactId);
  if (!moved) return;
  const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());
  await recordEvents(tx, actor.accountId, [
    {
      type: "contact.updated",
      actorId: actor.userId,
      contactId,
      data: { changes: { last_activity_at: { from: iso(moved.from), to: iso(moved.to) } }, system: true },
    },
  ]);
}

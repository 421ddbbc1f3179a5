import {
  latestNotificationId,
  NOTIFICATIONS_CHANNEL,
  notificationChannelKey,
  notificationsAfter,
} from "../../store/notifications.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { type Notification, toNotification } from "./notification.js";

const BATCH = 100;

export interface LiveSubscription {
  close(): Promise<void>;
}

interface Subscriber {
  key: string;
  actor: Actor;
  lastId: number;
  pumping: boolean;
  again: boolean;
  closed: boolean;
  send(notification: Notification): void;
  fail(error: unknown): void;
}

/**
 * Live notifications for users connected to this process. The dispatcher (in any process) sends
 * a NOTIFY naming the user on commit; each subscriber then reads its notifications after the last
 * id it sent. Reading from the database rather than passing notifications through memory is what
 * makes resuming from Last-Event-ID exact and lets any number of processes share the work.
 */
export class NotificationFeed {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private listening: Promise<() => Promise<void>> | null = null;

  constructor(private readonly deps: CoreDeps) {}

  /** Where a stream starts: after `lastEventId` when resuming, else after the user's newest notification. */
  async startingPoint(actor: Actor, lastEventId: number | undefined): Promise<number> {
    return lastEventId ?? latestNotificationId(this.deps.db, actor.accountId, actor.userId);
  }

  /**
   * Sends the user's notifications after `afterId`, in id order, each once, now and as they come,
   * until closed. `fail` is called if reading them fails; the subscription is then closed.
   */
  async subscribe(
    actor: Actor,
    afterId: number,
    send: (notification: Notification) => void,
    fail: (error: unknown) => void,
  ): Promise<LiveSubscription> {
    await this.listen();
    const key = notificationChannelKey(actor.accountId, actor.userId);
    const subscriber: Subscriber = {
      key,
      actor,
      lastId: afterId,
      pumping: false,
      again: false,
      closed: false,
      send,
      fail,
    };
    const set = this.subscribers.get(key) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(key, set);
    this.pump(subscriber);
    return { close: async () => this.remove(subscriber) };
  }

  async close(): Promise<void> {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.closed = true;
    this.subscribers.clear();
    const stop = await this.listening;
    this.listening = null;
    await stop?.();
  }

  private listen(): Promise<() => Promise<void>> {
    this.listening ??= this.deps.db.listen(NOTIFICATIONS_CHANNEL, (key) => this.wake(key));
    return this.listening;
  }

  /** A NOTIFY for one user, or null after a lost connection: then every subscriber catches up. */
  private wake(key: string | null): void {
    const woken = key === null ? [...this.subscribers.values()] : [this.subscribers.get(key) ?? new Set()];
    for (const set of woken) for (const subscriber of set) this.pump(subscriber);
  }

  /** Reads and sends what is new; one read at a time per subscriber, re-run if woken meanwhile. */
  private pump(subscriber: Subscriber): void {
    if (subscriber.closed) return;
    if (subscriber.pumping) {
      subscriber.again = true;
      return;
    }
    subscriber.pumping = true;
    this.drain(subscriber)
      .catch((error) => {
        this.remove(subscriber);
        subscriber.fail(error);
      })
      .finally(() => {
        subscriber.pumping = false;
      });
  }

  private async drain(subscriber: Subscriber): Promise<void> {
    const { accountId, userId } = subscriber.actor;
    for (;;) {
      subscriber.again = false;
      const rows = await notificationsAfter(this.deps.db, accountId, userId, subscriber.lastId, BATCH);
      for (const row of rows) {
        if (subscriber.closed) return;
        subscriber.lastId = row.id;
        subscriber.send(toNotification(row));
      }
      if (rows.length < BATCH && !subscriber.again) return;
    }
  }

  private remove(subscriber: Subscriber): void {
    subscriber.closed = true;
    const set = this.subscribers.get(subscriber.key);
    set?.delete(subscriber);
    if (set?.size === 0) this.subscribers.delete(subscriber.key);
  }
}

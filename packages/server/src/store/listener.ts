import pg from "pg";

type Handler = (payload: string | null) => void;

const CHANNEL = /^[a-z_]+$/;
const RECONNECT_MS = 1000;

/**
 * One dedicated connection per process for LISTEN (a pooled connection cannot hold it). When the
 * connection drops it reconnects, re-subscribes and tells every handler (payload null) so they can
 * catch up on what was sent meanwhile.
 */
export class PgListener {
  private readonly handlers = new Map<string, Set<Handler>>();
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private closed = false;

  constructor(private readonly connectionString: string) {}

  async listen(channel: string, handler: Handler): Promise<() => Promise<void>> {
    if (!CHANNEL.test(channel)) throw new Error(`invalid channel name: ${channel}`);
    let set = this.handlers.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    const client = await this.connection();
    if (isNew) await client.query(`LISTEN ${channel}`);
    return async () => {
      set.delete(handler);
      if (set.size > 0 || this.handlers.get(channel) !== set) return;
      this.handlers.delete(channel);
      await this.client?.query(`UNLISTEN ${channel}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on("notification", (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? "");
    });
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    this.client = client;
    return client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    if (!this.closed) setTimeout(() => this.reconnect(), RECONNECT_MS).unref();
  }

  private async reconnect(): Promise<void> {
    if (this.closed || this.handlers.size === 0) return;
    try {
      await this.connection();
    } catch {
      if (!this.closed) setTimeout(() => this.reconnect(), RECONNECT_MS).unref();
      return;
    }
    for (const set of this.handlers.values()) for (const handler of set) handler(null);
  }
}

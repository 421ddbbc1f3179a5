import type { Database, Product } from "./product.js";

/** Contacts of the large account the suite reads, found once loading is done. */
export interface ReadTargets {
  contacts: number;
  /** Ids spread over the account, for get-by-id. */
  sampleIds: number[];
  /** Every 50th contact by id: 2 % of the account, for conversations and comments. */
  linkedIds: number[];
  deepPage: { depth: number; cursor: string };
}

/** Where the suite reads in the large account: sample ids, and the cursor at `depthShare` of it. */
export async function readTargets(
  product: Product,
  db: Database,
  accountId: number,
  depthShare: number,
): Promise<ReadTargets> {
  const { sql } = product;
  const [count] = await db.query<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM contacts WHERE account_id = ${accountId}`,
  );
  const contacts = count?.n ?? 0;
  const sample = await db.query<{ id: number }>(
    sql`SELECT id FROM contacts WHERE account_id = ${accountId} ORDER BY hashint8(id), id LIMIT 1000`,
  );
  const linked = await db.query<{ id: number }>(sql`
    SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contacts WHERE account_id = ${accountId}) t
    WHERE n % 50 = 0 ORDER BY id`);
  // The row at that depth in the default listing, turned into the cursor the product would hand out.
  const depth = Math.max(1, Math.round(contacts * depthShare));
  const [row] = await product.listContacts(db, accountId, {
    sort: "created_at",
    direction: "desc",
    labels: [],
    limit: 1,
    skip: depth - 1,
    after: null,
  });
  if (!row) throw new Error(`no contact at depth ${depth}`);
  return {
    contacts,
    sampleIds: sample.map((r) => r.id),
    linkedIds: linked.map((r) => r.id),
    deepPage: {
      depth,
      cursor: product.encodeCursor({ sort: "created_at", direction: "desc", position: row.position }),
    },
  };
}

/**
 * Chatwoot's contacts table holding the same rows as the product's, every account's: Chatwoot's
 * columns, its primary key, its account_id btree and its one trigram GIN over name, email,
 * phone_number and identifier (which does not hold account_id).
 */
export async function createChatwootTable(db: Database): Promise<void> {
  await db.exec(`
    DROP TABLE IF EXISTS chatwoot_contacts;
    CREATE TABLE chatwoot_contacts (
      id bigint PRIMARY KEY,
      name character varying DEFAULT '',
      email character varying,
      phone_number character varying,
      account_id bigint NOT NULL,
      created_at timestamp(6) NOT NULL,
      updated_at timestamp(6) NOT NULL,
      additional_attributes jsonb DEFAULT '{}',
      identifier character varying,
      custom_attributes jsonb DEFAULT '{}',
      last_activity_at timestamp,
      contact_type integer DEFAULT 0,
      middle_name character varying DEFAULT '',
      last_name character varying DEFAULT '',
      location character varying DEFAULT '',
      country_code character varying DEFAULT '',
      blocked boolean DEFAULT false NOT NULL
    );
    INSERT INTO chatwoot_contacts (id, name, email, phone_number, account_id, created_at, updated_at,
        additional_attributes, identifier, custom_attributes, last_activity_at, blocked)
      SELECT id, name, email, phone_e164, account_id, created_at, updated_at, additional_attributes, identifier,
        custom_attributes, last_activity_at, blocked
      FROM contacts;
    CREATE INDEX index_contacts_on_account_id ON chatwoot_contacts (account_id);
    CREATE INDEX index_contacts_on_name_email_phone_number_identifier ON chatwoot_contacts
      USING gin (name gin_trgm_ops, email gin_trgm_ops, phone_number gin_trgm_ops, identifier gin_trgm_ops);
    ANALYZE chatwoot_contacts;
  `);
}

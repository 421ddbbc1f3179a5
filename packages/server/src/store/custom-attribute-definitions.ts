import type { Queryable } from "./database.js";
import { sql } from "./sql.js";

/** The display type of each of these keys the account has defined (keys it has not are left out). */
export async function customAttributeDisplayTypes(
  db: Queryable,
  accountId: number,
  keys: string[],
): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db.query<{ attribute_key: string; display_type: string }>(sql`
    SELECT attribute_key, display_type FROM custom_attribute_definitions
    WHERE account_id = ${accountId} AND attribute_key = ANY(${keys}::text[])`);
  return new Map(rows.map((row) => [row.attribute_key, row.display_type]));
}

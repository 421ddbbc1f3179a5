import { countLines } from "./psql.js";
import { round } from "./util.js";

/** GET /v1/contacts/export.csv streamed and counted. */
export async function runExport(
  base: string,
  auth: string,
): Promise<{ bytes: number; lines: number; firstByteSeconds: number }> {
  const started = performance.now();
  const response = await fetch(`${base}/v1/contacts/export.csv`, { headers: { authorization: auth } });
  if (!response.ok || !response.body) throw new Error(`GET /v1/contacts/export.csv: ${response.status}`);
  const firstByteSeconds = (performance.now() - started) / 1000;
  const counted = await countLines(response.body as unknown as AsyncIterable<Uint8Array>);
  return { ...counted, firstByteSeconds: round(firstByteSeconds, 3) };
}

/** The export's default columns, formatted as it formats them, straight from COPY. */
export function exportBaselineSql(accountId: number): string {
  const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return `COPY (SELECT c.id, c.name, c.email, c.phone_e164 AS phone_number, c.identifier,
      nullif(array_to_string(ARRAY(SELECT l.name FROM contact_labels cl
        JOIN labels l ON l.account_id = cl.account_id AND l.id = cl.label_id
        WHERE cl.account_id = c.account_id AND cl.contact_id = c.id ORDER BY l.name), ','), '') AS labels,
      ${iso("c.created_at")} AS created_at, ${iso("c.updated_at")} AS updated_at,
      ${iso("c.last_activity_at")} AS last_activity_at, CASE WHEN c.blocked THEN 'true' ELSE 'false' END AS blocked
    FROM contacts c WHERE c.account_id = ${accountId} ORDER BY c.id) TO STDOUT WITH (FORMAT csv, HEADER)`;
}

import { log, round } from "./util.js";

/**
 * Conversations and comments for some contacts, through the native API with bounded concurrency:
 * an API inbox, then for each contact one conversation in it and one internal comment.
 */
export async function addLinkedRecords(
  base: string,
  auth: string,
  contactIds: number[],
  concurrency = 8,
): Promise<{ contacts: number; conversations: number; comments: number; failures: string[]; seconds: number }> {
  const started = performance.now();
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as { id: string };
  };
  const inbox = await post("/v1/inboxes", { name: "Bench API inbox", channel_type: "Channel::Api" });
  let conversations = 0;
  let comments = 0;
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const id = contactIds[next++];
      if (id === undefined) return;
      try {
        await post("/v1/conversations", { contact_id: id, inbox_id: inbox.id });
        conversations++;
        await post(`/v1/contacts/${id}/comments`, { text: `Called back about the renewal (contact ${id}).` });
        comments++;
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = round((performance.now() - started) / 1000, 2);
  log(`linked records: ${conversations} conversations, ${comments} comments in ${seconds} s`);
  return { contacts: contactIds.length, conversations, comments, failures: failures.slice(0, 5), seconds };
}

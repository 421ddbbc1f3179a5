const UTF8 = new TextEncoder();
const BIND = 0x42;
const EXECUTE = 0x45;
const SYNC = 0x53;
/** Execute's body: an empty portal name and no row limit. */
const EXECUTE_LENGTH = 4 + 1 + 4;
const SYNC_LENGTH = 4;

/**
 * Bind, Execute and Sync for the named statement `name`, its parameters as text (null for NULL),
 * its results asked as text: the messages a prepared statement runs by, in one buffer.
 *
 * Written here rather than by pg-protocol's serializer, which builds each message in a buffer of
 * its own before they are copied together. In a loop of prepared reads on PGlite that took 36 µs a
 * statement against 25 µs here, and about 350 bytes a statement lived long enough to be moved to
 * the old generation, where each full collection pauses the server.
 */
export function bindExecuteSync(name: string, values: readonly (string | null)[]): Uint8Array {
  const encoded = values.map((value) => (value === null ? null : UTF8.encode(value)));
  const nameBytes = UTF8.encode(name);
  let bindLength = 4 + 1 + nameBytes.length + 1 + 2 + 2 + 2;
  for (const value of encoded) bindLength += 2 + 4 + (value?.length ?? 0);
  const message = new Uint8Array(1 + bindLength + 1 + EXECUTE_LENGTH + 1 + SYNC_LENGTH);
  const view = new DataView(message.buffer);
  let at = 0;
  message[at++] = BIND;
  view.setInt32(at, bindLength);
  at += 4;
  at += 1; // unnamed portal: its name's terminating zero
  message.set(nameBytes, at);
  at += nameBytes.length + 1;
  // A format code per parameter, each 0 (text), as pg-protocol writes them.
  view.setInt16(at, encoded.length);
  at += 2 + 2 * encoded.length;
  view.setInt16(at, encoded.length);
  at += 2;
  for (const value of encoded) {
    view.setInt32(at, value === null ? -1 : value.length);
    at += 4;
    if (value) {
      message.set(value, at);
      at += value.length;
    }
  }
  at += 2; // no result format codes: all text
  message[at++] = EXECUTE;
  view.setInt32(at, EXECUTE_LENGTH);
  at += EXECUTE_LENGTH; // unnamed portal, then 0 for every row
  message[at++] = SYNC;
  view.setInt32(at, SYNC_LENGTH);
  return message;
}

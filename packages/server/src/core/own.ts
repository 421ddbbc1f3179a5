/**
 * A record's own value for a key, never one inherited: read as `record[key]`, keys that come from
 * outside (attribute names, CSV headers) such as "constructor" or "valueOf" find the prototype's
 * function.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Sets a record's own key. Assigning `record[key] = value` with the key "__proto__" (a JSON key,
 * an attribute name, a CSV header) would set the record's prototype instead, and the value would
 * be lost.
 */
export function setOwn(record: object, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

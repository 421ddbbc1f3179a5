/**
 * A record's own value for a key, never one inherited: read as `record[key]`, keys that come from
 * outside (attribute names, CSV headers) such as "constructor" or "valueOf" find the prototype's
 * function.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Counts the CSV records in a stream of UTF-8 as it passes (quoted fields may hold line breaks),
 * so an export's progress is known without parsing it. Quote and line feed are single bytes in
 * UTF-8 that no other character's encoding contains, so bytes are read as they come.
 */
export class CsvRecordCounter {
  #inQuotes = false;
  #records = 0;

  /** Records completed so far, the header included. */
  get records(): number {
    return this.#records;
  }

  push(bytes: Uint8Array): void {
    for (const c of bytes) {
      // A doubled quote inside quotes toggles twice: no net change, as it should.
      if (c === 34) this.#inQuotes = !this.#inQuotes;
      else if (c === 10 && !this.#inQuotes) this.#records++;
    }
  }
}

/**
 * Counts the CSV records in a stream of text as it passes (quoted fields may hold line breaks),
 * so an export's progress is known without parsing it.
 */
export class CsvRecordCounter {
  #inQuotes = false;
  #records = 0;

  /** Records completed so far, the header included. */
  get records(): number {
    return this.#records;
  }

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // A doubled quote inside quotes toggles twice: no net change, as it should.
      if (c === 34) this.#inQuotes = !this.#inQuotes;
      else if (c === 10 && !this.#inQuotes) this.#records++;
    }
  }
}

/** Why a whole import failed (its file cannot be read, or its header names nothing known). */
export class ImportFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

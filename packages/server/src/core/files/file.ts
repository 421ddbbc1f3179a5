import type { Readable } from "node:stream";

/** A file attached to a contact. Its bytes live in the blob store, never under its name. */
export interface ContactFile {
  accountId: number;
  id: number;
  contactId: number;
  /** Sanitised: no directories, control characters or leading dots; 1 to 255 characters. */
  name: string;
  /** Sniffed from the bytes, never taken from the client. */
  contentType: string;
  size: number;
  sha256: string;
  uploadedBy: number | null;
  createdAt: Date;
}

/** A file row with the key of its bytes, which only the core sees. */
export interface StoredFile extends ContactFile {
  storageKey: string;
}

/** Bytes arriving from a client: read once, as they come, never held whole in memory. */
export interface IncomingFile {
  stream: Readable;
  /** The name the client gave, if any; it is sanitised before use. */
  filename?: string | undefined;
}

export interface FilePageInput {
  limit?: number;
  skip?: number;
}

export interface FilePage {
  data: ContactFile[];
  hasMore: boolean;
}

/** A file's metadata and its bytes, for streaming to the client. */
export interface FileDownload {
  file: ContactFile;
  stream: Readable;
}

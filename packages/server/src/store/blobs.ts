import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, opendir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Bytes received but not yet kept: `commit` gives them their key, `discard` throws them away. */
export interface StagedBlob {
  readonly size: number;
  readonly sha256: string;
  /** The first bytes, for sniffing the content type. */
  readonly head: Buffer;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
  }
}

/**
 * Where file bytes live. Writing is two-phase so that a database row and its bytes appear
 * together: stage (stream in, hash, limit), write the row, commit (or discard) the bytes.
 */
export interface BlobStore {
  stage(source: Readable, options: { maxBytes: number }): Promise<StagedBlob>;
  commit(staged: StagedBlob, key: string): Promise<void>;
  discard(staged: StagedBlob): Promise<void>;
  read(key: string): Promise<Readable | null>;
  delete(key: string): Promise<void>;
  /** Removes staged bytes last written before `before` (left by a process that died); returns how many. */
  sweepStaged(before: Date): Promise<number>;
  /** The keys under `prefix` (e.g. "files") whose bytes were last written before `before`. */
  keysWrittenBefore(prefix: string, before: Date): AsyncIterable<string>;
}

const HEAD_BYTES = 64;
const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** A random storage key; the layout never uses names from the outside world. */
export function newBlobKey(prefix: string): string {
  return `${prefix}/${randomBytes(2).toString("hex")}/${randomBytes(18).toString("base64url")}`;
}

/** Blobs as files under one directory (kept outside any web root), staged in its tmp/ folder. */
export class LocalDiskBlobStore implements BlobStore {
  readonly #staged = new WeakMap<StagedBlob, string>();

  constructor(readonly root: string) {}

  async stage(source: Readable, options: { maxBytes: number }): Promise<StagedBlob> {
    const tmp = join(this.root, "tmp", randomBytes(16).toString("hex"));
    await mkdir(dirname(tmp), { recursive: true });
    const hash = createHash("sha256");
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > options.maxBytes) throw new BlobTooLargeError(options.maxBytes);
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        hash.update(chunk);
        yield chunk;
      }
    };
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: "wx" }));
    } catch (error) {
      await rm(tmp, { force: true });
      // A stream cut off for its size may report why through its own flag.
      if ((source as Readable & { truncated?: boolean }).truncated) throw new BlobTooLargeError(options.maxBytes);
      throw error;
    }
    if ((source as Readable & { truncated?: boolean }).truncated) {
      await rm(tmp, { force: true });
      throw new BlobTooLargeError(options.maxBytes);
    }
    const staged: StagedBlob = { size, sha256: hash.digest("hex"), head };
    this.#staged.set(staged, tmp);
    return staged;
  }

  async commit(staged: StagedBlob, key: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await rename(this.tmpOf(staged), path);
    this.#staged.delete(staged);
  }

  async discard(staged: StagedBlob): Promise<void> {
    const tmp = this.#staged.get(staged);
    if (tmp) await rm(tmp, { force: true });
    this.#staged.delete(staged);
  }

  async read(key: string): Promise<Readable | null> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch {
      return null;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async sweepStaged(before: Date): Promise<number> {
    let removed = 0;
    for await (const path of filesUnder(join(this.root, "tmp"), before)) {
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  async *keysWrittenBefore(prefix: string, before: Date): AsyncIterable<string> {
    const top = this.pathOf(prefix);
    for await (const path of filesUnder(top, before)) {
      yield `${prefix}/${relative(top, path).split(sep).join("/")}`;
    }
  }

  private tmpOf(staged: StagedBlob): string {
    const tmp = this.#staged.get(staged);
    if (!tmp) throw new Error("blob was not staged here, or was already committed or discarded");
    return tmp;
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
    return join(this.root, "blobs", ...key.split("/"));
  }
}

/** The files under `dir`, at any depth, last modified before `before`; none when `dir` is missing. */
async function* filesUnder(dir: string, before: Date): AsyncIterable<string> {
  let entries: Awaited<ReturnType<typeof opendir>>;
  try {
    entries = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path, before);
    else if (entry.isFile() && ((await stat(path).catch(() => null))?.mtime ?? before) < before) yield path;
  }
}

import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStore, StagedBlob } from "../../store/blobs.js";
import { UnsupportedMediaTypeError } from "../errors.js";
import { stageUpload } from "../files/blobs.js";
import { type ImageType, sniffImageType } from "../files/sniff.js";

/**
 * Avatars are images served publicly at /avatars/<key>. The key is long and random, so the URL
 * is unguessable and, since an avatar's bytes never change, cacheable for good. A contact stores
 * the relative path; faces make it absolute with their public base URL.
 */
export const AVATAR_PATH = "/avatars/";
export const AVATAR_KEY = /^[A-Za-z0-9_-]{16,64}$/;

export function newAvatarKey(): string {
  return randomBytes(24).toString("base64url");
}

export function avatarPath(key: string): string {
  return `${AVATAR_PATH}${key}`;
}

/** Where an avatar's bytes live in the blob store (fanned out so no directory grows huge). */
export function avatarBlobKey(key: string): string {
  return `avatars/${key.slice(0, 2)}/${key}`;
}

/** An image the client uploaded, as stored. */
export interface UploadedImage {
  key: string;
  /** Relative: /avatars/<key>. */
  path: string;
  contentType: ImageType;
  size: number;
  sha256: string;
}

/** Stages an upload and makes sure it is a PNG, JPEG, WebP or GIF by its bytes; else nothing is kept. */
export async function stageImage(
  blobs: BlobStore,
  stream: Readable,
  maxBytes: number,
): Promise<{ staged: StagedBlob; contentType: ImageType }> {
  const staged = await stageUpload(blobs, stream, maxBytes);
  const contentType = sniffImageType(staged.head);
  if (contentType === null) {
    await blobs.discard(staged);
    throw new UnsupportedMediaTypeError(
      "unsupported_image_type",
      "file: must be a PNG, JPEG, WebP or GIF image (judged by its content, not its declared type)",
      "file",
    );
  }
  return { staged, contentType };
}

import type { Readable } from "node:stream";
import { findAvatar } from "../../store/avatars.js";
import type { CoreDeps } from "../deps.js";
import { NotFoundError } from "../errors.js";
import type { ImageType } from "../files/sniff.js";
import { AVATAR_KEY, avatarBlobKey } from "./avatar.js";

export interface AvatarContent {
  contentType: ImageType;
  size: number;
  sha256: string;
  stream: Readable;
}

/** An avatar's bytes for anyone holding its URL: no actor, the random key is the capability. */
export async function serveAvatar(deps: CoreDeps, key: string): Promise<AvatarContent> {
  if (!AVATAR_KEY.test(key)) throw new NotFoundError("avatar");
  const avatar = await findAvatar(deps.db, key);
  if (!avatar) throw new NotFoundError("avatar");
  const stream = await deps.blobs.read(avatarBlobKey(key));
  if (!stream) throw new NotFoundError("avatar");
  return { contentType: avatar.content_type, size: avatar.size, sha256: avatar.sha256, stream };
}

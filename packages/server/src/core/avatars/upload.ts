import { insertAvatar } from "../../store/avatars.js";
import type { Actor } from "../actor.js";
import type { CoreDeps } from "../deps.js";
import { keepIfWritten } from "../files/blobs.js";
import type { IncomingFile } from "../files/file.js";
import { avatarBlobKey, avatarPath, newAvatarKey, stageImage, type UploadedImage } from "./avatar.js";

/**
 * Stores an image on its own (the seed SDK's uploadAvatar): the caller gets its URL back and may
 * put it in any contact's avatar_url.
 */
export async function uploadImage(deps: CoreDeps, actor: Actor, incoming: IncomingFile): Promise<UploadedImage> {
  const { staged, contentType } = await stageImage(deps.blobs, incoming.stream, deps.settings.maxAvatarBytes);
  const key = newAvatarKey();
  await keepIfWritten(deps.blobs, staged, avatarBlobKey(key), (commitBytes) =>
    deps.db.transaction(async (tx) => {
      await insertAvatar(tx, actor.accountId, { key, contentType, size: staged.size, sha256: staged.sha256 });
      await commitBytes();
    }),
  );
  return { key, path: avatarPath(key), contentType, size: staged.size, sha256: staged.sha256 };
}

/** Wire types of files attached to contacts and of uploaded avatar images (snake_case, string ids). */

/** A file attached to a contact (the seed SDK's ContactFile: `_id`, `name`, `url`, `size`). */
export interface ContactFile {
  object_name: "file";
  /** Same as `id`. */
  _id: string;
  id: string;
  contact_id: string;
  /** As uploaded, made safe: no directories, control characters or leading dots; ≤ 255 characters. */
  name: string;
  /** Absolute download URL; needs the same credentials (or use `contacts.downloadFile`). */
  url: string;
  /** Bytes. */
  size: number;
  /** Judged by the server from the bytes, whatever type the upload declared. */
  content_type: string;
  sha256: string;
  /** The uploading user's id; null once that user is deleted. */
  uploaded_by: string | null;
  created_at: string;
}

export interface FileDeleted {
  object_name: "file";
  id: string;
  deleted: true;
}

export interface FileUploadParams {
  /** The file name to store; defaults to a File's own name ("blob" for a plain Blob). */
  filename?: string;
}

export type AvatarUploadParams = FileUploadParams;

export type ImageContentType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

/** An image stored by `uploadAvatar(formData)`; put `url` in a contact's `avatar_url`. */
export interface UploadedImage {
  object_name: "upload";
  /** Public and permanent. */
  url: string;
  content_type: ImageContentType;
  size: number;
}

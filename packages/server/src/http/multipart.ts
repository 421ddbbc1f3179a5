import type { MultipartFile } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";
import { BadRequestError, DomainError, UnsupportedMediaTypeError, ValidationError } from "../core/errors.js";
import type { IncomingFile } from "../core/files/file.js";

/** Reading one uploaded file from a multipart body, for any face's upload routes. */

/**
 * preParsing hook of upload routes: a body that is not multipart is refused before anything
 * reads it (a JSON body would otherwise be parsed, and other types would get the JSON hint).
 */
export async function multipartOnly(request: FastifyRequest): Promise<void> {
  const type = request.headers["content-type"];
  if (type !== undefined && !/^multipart\/form-data(;|$)/i.test(type.trim())) {
    throw new UnsupportedMediaTypeError(
      "unsupported_media_type",
      "Send the file as multipart/form-data, in a part named file",
    );
  }
}

const fileRequired = () =>
  new ValidationError([
    { field: "file", code: "required", message: "is required: send it as a multipart/form-data part named file" },
  ]);

/**
 * Hands the request's `file` part to `use` (a core call) as a stream. Bytes the core leaves
 * unread (it refused early) are drained, and a body cut off mid-file is the client's error.
 */
export async function withUploadedFile<T>(
  request: FastifyRequest,
  maxBytes: number,
  use: (incoming: IncomingFile) => Promise<T>,
): Promise<T> {
  const part = await filePart(request, maxBytes);
  try {
    return await use({ stream: part.file, filename: unescapeFormName(part.filename) });
  } catch (error) {
    if (!(error instanceof DomainError) && part.file.errored) {
      throw new BadRequestError("upload_interrupted", "The request ended before the whole file arrived");
    }
    throw error;
  } finally {
    if (!part.file.readableEnded) part.file.resume();
  }
}

async function filePart(request: FastifyRequest, maxBytes: number): Promise<MultipartFile> {
  if (!request.isMultipart()) throw fileRequired();
  let part: MultipartFile | undefined;
  try {
    // Past the limit the parser cuts the stream off (marking it truncated) and discards the rest,
    // and the blob store refuses the truncated file.
    part = await request.file({ limits: { fileSize: maxBytes } });
  } catch (error) {
    if (typeof (error as { statusCode?: unknown }).statusCode === "number") throw error;
    const reason = error instanceof Error ? error.message : "unreadable";
    throw new BadRequestError("malformed_multipart", `The multipart body could not be read: ${reason}`);
  }
  if (part?.fieldname !== "file") {
    part?.file.resume();
    throw fileRequired();
  }
  return part;
}

/** Browsers and fetch send `"`, CR and LF in a multipart file name as %22, %0D and %0A (HTML form encoding). */
function unescapeFormName(name: string): string {
  return name.replace(/%(22|0D|0A)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

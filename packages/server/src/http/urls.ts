import type { FastifyRequest } from "fastify";

/**
 * Where the absolute URLs this face hands out start: the configured public URL (set it behind a
 * proxy), else the origin the request came to.
 */
export type BaseUrl = (request: FastifyRequest) => string;

export function baseUrlFrom(publicUrl: string | undefined): BaseUrl {
  const configured = publicUrl?.replace(/\/+$/, "");
  return (request) => configured || `${request.protocol}://${request.host}`;
}

/** A path the server stores relative (such as /avatars/<key>) made absolute; other values as they are. */
export function absoluteUrl(base: string, url: string | null): string | null {
  return url?.startsWith("/") ? `${base}${url}` : url;
}

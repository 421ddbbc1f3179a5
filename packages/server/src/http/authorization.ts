import { splitToken } from "../core/auth/secrets.js";

/** Key and secret from `Authorization: Basic base64(key:secret)` or `Authorization: Bearer key.secret`. */
export function credentialsFrom(header: string | undefined): { key: string; secret: string } | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^basic$/i.test(scheme ?? "")) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon > 0 ? { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) } : null;
  }
  if (/^bearer$/i.test(scheme ?? "")) return splitToken(value);
  return null;
}

import { describe, expect, it } from "vitest";
import type { Contact } from "../src/core/contacts/contact.js";
import { contactVersion } from "../src/core/contacts/version.js";

const contact: Contact = {
  accountId: 7,
  id: 42,
  name: "Ana Lima",
  email: "ana@example.com",
  phoneNumber: "+5511987654321",
  phoneRaw: "(11) 98765-4321",
  identifier: "crm-42",
  avatarUrl: "https://cdn.example.com/a.png",
  additionalAttributes: { city: "São Paulo" },
  customAttributes: { plan: "pro" },
  blocked: false,
  labels: ["vip"],
  lastActivityAt: new Date("2026-11-01T10:00:00.000Z"),
  createdAt: new Date("2026-10-01T10:00:00.000Z"),
  updatedAt: new Date("2026-11-02T10:00:00.000Z"),
};

/** Another value of the same kind as `value`. */
function changed(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime() + 1);
  if (Array.isArray(value)) return [...value, "new"];
  if (typeof value === "number") return value + 1;
  if (typeof value === "boolean") return !value;
  if (typeof value === "string") return `${value}.`;
  return { ...(value as object), added: 1 };
}

describe("contact versions", () => {
  it("are the same for equal contacts, and do not count the inbox identities", () => {
    const copy: Contact = { ...contact, labels: [...contact.labels], createdAt: new Date(contact.createdAt) };
    expect(contactVersion(copy)).toBe(contactVersion(contact));
    const withInboxes = { ...contact, contactInboxes: [] };
    expect(contactVersion(withInboxes)).toBe(contactVersion(contact));
  });

  it("change when any field of the representation changes", () => {
    const before = contactVersion(contact);
    const fields = Object.keys(contact) as Array<keyof Contact>;
    expect(fields).toHaveLength(15);
    for (const field of fields) {
      expect(contactVersion({ ...contact, [field]: changed(contact[field]) }), field).not.toBe(before);
    }
  });

  it("tell a null time from the epoch, and a missing label from an empty name", () => {
    const epoch = { ...contact, lastActivityAt: new Date(0) };
    expect(contactVersion(epoch)).not.toBe(contactVersion({ ...contact, lastActivityAt: null }));
    expect(contactVersion({ ...contact, labels: [""] })).not.toBe(contactVersion({ ...contact, labels: [] }));
  });
});

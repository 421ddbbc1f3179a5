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
  revision: "1234",
};

describe("contact versions", () => {
  it("are the same for the same row revision, update time and labels", () => {
    const copy: Contact = { ...contact, labels: [...contact.labels], updatedAt: new Date(contact.updatedAt) };
    expect(contactVersion(copy)).toBe(contactVersion(contact));
    expect(contactVersion({ ...contact, contactInboxes: [] })).toBe(contactVersion(contact));
  });

  it("change with the row's revision, its update time or its labels", () => {
    const before = contactVersion(contact);
    expect(contactVersion({ ...contact, revision: "1235" })).not.toBe(before);
    expect(contactVersion({ ...contact, updatedAt: new Date(contact.updatedAt.getTime() + 1) })).not.toBe(before);
    expect(contactVersion({ ...contact, labels: ["vip", "new"] })).not.toBe(before);
    expect(contactVersion({ ...contact, labels: [] })).not.toBe(before);
  });

  it("tell apart label lists that join to the same text", () => {
    const of = (labels: string[]) => contactVersion({ ...contact, labels });
    const versions = [of([]), of([""]), of(["", ""]), of(["ab"]), of(["a", "b"]), of(["a b"]), of(["ba"])];
    expect(new Set(versions).size).toBe(versions.length);
  });
});

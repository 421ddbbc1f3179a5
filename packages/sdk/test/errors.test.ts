import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, newAccount, newAgent, startServer, type TestServer } from "../../server/test/harness.js";
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  Contactd,
  ContactdError,
  NotFoundError,
  PermissionDeniedError,
  UnprocessableEntityError,
} from "../src/index.js";

/** Typed errors from the real server's real answers. */

let server: TestServer;
let admin: Credentials;
let client: Contactd;

beforeAll(async () => {
  server = await startServer();
  admin = await newAccount(server.db);
  client = new Contactd({ baseUrl: server.url, apiKey: admin.key, apiSecret: admin.secret });
});

afterAll(async () => {
  await server?.close();
});

/** The rejection of a promise that must reject. */
async function failure(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(APIError);
    return error as APIError;
  }
  throw new Error("expected the call to fail");
}

function expectRequestId(error: APIError) {
  expect(error.requestId).toMatch(/^req_/);
  expect(error.requestId).toBe(error.headers.get("x-request-id"));
}

describe("typed errors", () => {
  it("NotFoundError for a missing id", async () => {
    const error = await failure(client.contacts.get("999999999"));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(ContactdError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("NotFoundError");
    expect(error.status).toBe(404);
    expect(error.type).toBe("not_found_error");
    expect(error.code).toBe("contact_not_found");
    expect(error.message).toBe("No such contact");
    expect(error.body).toMatchObject({ error: { code: "contact_not_found", request_id: error.requestId } });
    expectRequestId(error);
  });

  it("ConflictError with existingId for a duplicate email", async () => {
    const first = await client.contacts.create({ name: "First", email: "dup@example.com" });
    const error = await failure(client.contacts.create({ name: "Second", email: "DUP@example.com" }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.name).toBe("ConflictError");
    expect(error.status).toBe(409);
    expect(error.code).toBe("email_taken");
    expect(error.field).toBe("email");
    expect(error.existingId).toBe(first.id);
    expectRequestId(error);
  });

  it("UnprocessableEntityError with details for a bad email", async () => {
    const error = await failure(client.contacts.create({ name: "Bad", email: "not-an-email" }));
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(error.status).toBe(422);
    expect(error.code).toBe("invalid_fields");
    expect(error.details).toEqual([{ field: "email", code: "invalid_email", message: "is not a valid email address" }]);
    expectRequestId(error);
  });

  it("UnprocessableEntityError from schema validation names the field", async () => {
    const error = await failure(client.contacts.update("1", { blocked: "yes" as unknown as boolean }));
    expect(error).toBeInstanceOf(UnprocessableEntityError);
    expect(error.details?.[0]).toMatchObject({ field: "blocked", code: "invalid_type" });
  });

  it("BadRequestError for a foreign cursor, or a cursor combined with skip", async () => {
    const error = await failure(client.contacts.list({ cursor: "not-a-cursor" }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_cursor");

    await client.contacts.create({ name: "Cursor 1" });
    await client.contacts.create({ name: "Cursor 2" });
    const page = await client.contacts.list({ limit: 1 });
    expect(page.next_cursor).not.toBeNull();
    const both = await failure(client.contacts.list({ cursor: page.next_cursor as string, skip: 1 }));
    expect(both).toBeInstanceOf(BadRequestError);
    expect(both.code).toBe("cursor_and_skip");
  });

  it("AuthenticationError for a bad secret, with either auth style", async () => {
    const badSecret = new Contactd({ baseUrl: server.url, apiKey: admin.key, apiSecret: "wrong" });
    const error = await failure(badSecret.me());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.name).toBe("AuthenticationError");
    expect(error.status).toBe(401);
    expect(error.type).toBe("authentication_error");
    expectRequestId(error);

    const badToken = new Contactd({ baseUrl: server.url, token: `${admin.key}.wrong` });
    expect(await failure(badToken.contacts.list())).toBeInstanceOf(AuthenticationError);
  });

  it("PermissionDeniedError when an agent deletes, though the agent may read", async () => {
    const contact = await client.contacts.create({ name: "Protected" });
    const agentCredentials = await newAgent(server, admin);
    const agent = new Contactd({ baseUrl: server.url, token: agentCredentials.token });
    expect((await agent.contacts.get(contact.id)).id).toBe(contact.id);
    const error = await failure(agent.contacts.delete(contact.id));
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.type).toBe("permission_error");
    expectRequestId(error);
    expect((await client.contacts.get(contact.id)).id).toBe(contact.id);
  });

  it("other 4xx statuses, such as 413, stay plain APIErrors", async () => {
    const small = await startServer({ db: server.db, bodyLimit: 1024 });
    try {
      const client = new Contactd({ baseUrl: small.url, token: admin.token });
      const error = await failure(client.contacts.create({ custom_attributes: { blob: "x".repeat(4096) } }));
      expect(error.constructor).toBe(APIError);
      expect(error.name).toBe("APIError");
      expect(error.status).toBe(413);
      expect(error.code).toBe("payload_too_large");
      expectRequestId(error);
    } finally {
      await small.close();
    }
  });

  it("rejects an empty id before sending anything, as a rejected promise rather than a throw", async () => {
    await expect(client.contacts.get("")).rejects.toThrow(ContactdError);
    await expect(client.contacts.labels.list(" ")).rejects.toThrow(/non-empty id/);
    // Each call is made before `expect` sees it: a synchronous throw would fail the test here.
    const calls = [
      client.contacts.listFollowers(""),
      client.contacts.follow(""),
      client.contacts.unfollow("", " "),
      client.exports.get(""),
      client.imports.get(" "),
      client.conversations.get(""),
      client.webhooks.get(""),
      client.inboxes.get(""),
    ];
    for (const call of calls) await expect(call).rejects.toThrow(/non-empty id/);
  });

  it("refuses to construct without credentials or with a relative baseUrl", () => {
    expect(() => new Contactd({ baseUrl: server.url } as never)).toThrow(ContactdError);
    expect(() => new Contactd({ baseUrl: "/api", token: "a.b" })).toThrow(/absolute URL/);
  });
});

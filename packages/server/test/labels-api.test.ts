import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, httpClient, newAccount, startServer, type TestServer } from "./harness.js";

describe("labels", () => {
  let server: TestServer;
  let api: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    server = await startServer();
    api = httpClient(server.url, basicAuth(await newAccount(server.db)));
  });
  afterAll(() => server.close());

  it("sets, adds, removes and lists a contact's labels", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Labelled", labels: ["old"] })).body;
    const path = `/v1/contacts/${contact.id}/labels`;
    expect((await api("PUT", path, { labels: ["VIP", " lead ", "vip"] })).body).toEqual({ labels: ["lead", "vip"] });
    expect((await api("POST", path, { labels: ["churn-risk", "vip"] })).body).toEqual({
      labels: ["churn-risk", "lead", "vip"],
    });
    expect((await api("DELETE", path, { labels: ["LEAD", "never-had"] })).body).toEqual({
      labels: ["churn-risk", "vip"],
    });
    expect((await api("GET", path)).body).toEqual({ labels: ["churn-risk", "vip"] });
    expect((await api("GET", `/v1/contacts/${contact.id}`)).body.labels).toEqual(["churn-risk", "vip"]);
    expect((await api("PUT", path, { labels: [] })).body).toEqual({ labels: [] });
  });

  it("counts contacts per label for the account", async () => {
    await api("POST", "/v1/contacts", { name: "A", labels: ["count-me"] });
    await api("POST", "/v1/contacts", { name: "B", labels: ["count-me", "solo"] });
    const labels = (await api("GET", "/v1/labels")).body;
    expect(labels.object_name).toBe("list");
    const byName = Object.fromEntries(
      labels.data.map((l: { name: string; contacts_count: number }) => [l.name, l.contacts_count]),
    );
    expect(byName["count-me"]).toBe(2);
    expect(byName.solo).toBe(1);
    expect(byName.old).toBe(0);
  });

  it("refuses bad label bodies and unknown contacts", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "C" })).body;
    const path = `/v1/contacts/${contact.id}/labels`;
    expect((await api("PUT", path, { labels: ["a,b"] })).status).toBe(422);
    expect((await api("PUT", path, { labels: [""] })).status).toBe(422);
    expect((await api("PUT", path, { labels: "vip" })).status).toBe(422);
    expect((await api("PUT", path, {})).status).toBe(422);
    expect((await api("PUT", "/v1/contacts/999999/labels", { labels: ["x"] })).status).toBe(404);
    expect((await api("GET", path)).body).toEqual({ labels: [] });
  });

  it("moves updated_at when labels change", async () => {
    const contact = (await api("POST", "/v1/contacts", { name: "Touched" })).body;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api("POST", `/v1/contacts/${contact.id}/labels`, { labels: ["x"] });
    const after = (await api("GET", `/v1/contacts/${contact.id}`)).body;
    expect(new Date(after.updated_at).getTime()).toBeGreaterThan(new Date(contact.updated_at).getTime());
  });
});

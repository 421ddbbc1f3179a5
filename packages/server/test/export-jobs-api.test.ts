import { describe, expect, it } from "vitest";
import { sql } from "../src/store/sql.js";
import { useServer } from "./harness.js";

/** POST /v1/exports: a background export whose file stays downloadable, and a notification when ready. */
describe("background exports", () => {
  const fixture = useServer();

  it("writes the same CSV as the streamed export, downloadable once ready, and notifies the requester", async () => {
    const { api, agentApi, server, agent, admin } = fixture;
    for (const name of ["Zoë", "Doe, John", "=cmd"]) await api("POST", "/v1/contacts", { name, labels: ["bg"] });
    const options = { columns: ["name", "labels"], labels: ["bg"], bom: true };

    const queued = await agentApi("POST", "/v1/exports", options);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({
      object_name: "export",
      status: "queued",
      requested_by: String(agent.userId),
      download_path: null,
    });
    const early = await agentApi("GET", `/v1/exports/${queued.body.id}/download`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("export_not_ready");

    expect(await server.core.exports.runDue({ accountId: admin.accountId })).toBe(1);
    const done = (await agentApi("GET", `/v1/exports/${queued.body.id}`)).body;
    expect(done).toMatchObject({ status: "succeeded", download_path: `/v1/exports/${queued.body.id}/download` });

    const file = await fetch(`${server.url}${done.download_path}`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(done.byte_size);
    const streamed = await fetch(`${server.url}/v1/contacts/export.csv?columns=name,labels&labels=bg&bom=true`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(bytes.equals(Buffer.from(await streamed.arrayBuffer()))).toBe(true);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString("utf8")).toContain("'=cmd");

    await server.core.events.dispatchAll();
    const notes = (await agentApi("GET", "/v1/notifications")).body.data;
    expect(notes[0]).toMatchObject({ type: "export_ready", data: { export_id: queued.body.id } });
  });

  it("refuses bad options when asked, not later, and keeps each user's exports to themselves", async () => {
    const { api, agentApi, server, admin } = fixture;
    const bad = await agentApi("POST", "/v1/exports", { columns: ["name", "password"] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0]).toMatchObject({ field: "columns" });

    const admins = (await api("POST", "/v1/exports", {})).body.id;
    expect((await agentApi("GET", `/v1/exports/${admins}`)).status).toBe(404);
    expect((await agentApi("GET", `/v1/exports/${admins}/download`)).status).toBe(404);
    expect((await agentApi("GET", "/v1/exports")).body.data.map((e: any) => e.id)).not.toContain(admins);
    expect((await api("GET", "/v1/exports")).body.data.map((e: any) => e.id)).toContain(admins);
    await server.core.exports.runDue({ accountId: admin.accountId });
    expect((await api("GET", `/v1/exports/${admins}`)).body.status).toBe("succeeded");
  });

  it("takes over an export whose worker died, and fails one that keeps failing", async () => {
    const { api, server, admin } = fixture;
    const id = (await api("POST", "/v1/exports", { columns: ["name"] })).body.id;
    // A worker that claimed it and vanished: running, lease already over.
    await server.db.execute(sql`
      UPDATE export_jobs SET status = 'running', attempts = 1, locked_until = now() - interval '1 second'
      WHERE account_id = ${admin.accountId} AND id = ${Number(id)}`);
    await server.core.exports.runDue({ accountId: admin.accountId });
    expect((await api("GET", `/v1/exports/${id}`)).body.status).toBe("succeeded");

    const stuck = (await api("POST", "/v1/exports", { columns: ["name"] })).body.id;
    await server.db.execute(sql`
      UPDATE export_jobs SET status = 'running', attempts = 3, locked_until = now() - interval '1 second'
      WHERE account_id = ${admin.accountId} AND id = ${Number(stuck)}`);
    await server.core.exports.runDue({ accountId: admin.accountId });
    expect((await api("GET", `/v1/exports/${stuck}`)).body).toMatchObject({ status: "failed" });
    // The requester hears of it, as of a finished one.
    await server.core.events.dispatchAll();
    const told = (await api("GET", "/v1/notifications?limit=100")).body.data;
    expect(told.find((n: any) => n.type === "export_failed")).toMatchObject({
      data: { export_id: stuck, error: expect.stringMatching(/attempts/) },
    });
  });
});

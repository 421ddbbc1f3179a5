import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Comment } from "../../../core/comments/comment.js";
import type { Core } from "../../../core/index.js";
import { actorOf } from "../auth.js";
import { ChatwootError } from "../errors.js";
import { pathId } from "../params.js";
import { chatwootNote } from "../render.js";
import { IdParams, NoteBody, NoteParams } from "../schemas.js";

/** Notes are contactd's comments: listed whole and newest first, written as `{note: {content}}`. */
export function noteRoutes(app: FastifyInstance, core: Core): void {
  const routes = app.withTypeProvider<TypeBoxTypeProvider>();

  routes.get("/contacts/:id/notes", { schema: { params: IdParams } }, async (request) => {
    const actor = actorOf(request);
    const contactId = pathId(request.params.id, "contact");
    // Chatwoot has no paging here: every note, read in the core's largest pages.
    const notes: Comment[] = [];
    for (let more = true; more; ) {
      const page = await core.comments.list(actor, contactId, { limit: 200, skip: notes.length });
      notes.push(...page.data);
      more = page.hasMore;
    }
    return notes.map((note) => chatwootNote(note, actor.accountId));
  });

  routes.post("/contacts/:id/notes", { schema: { params: IdParams, body: NoteBody } }, async (request) => {
    const actor = actorOf(request);
    const comment = await core.comments.create(actor, pathId(request.params.id, "contact"), {
      text: noteContent(request.body),
    });
    return chatwootNote(comment, actor.accountId);
  });

  routes.get("/contacts/:id/notes/:note_id", { schema: { params: NoteParams } }, async (request) => {
    const actor = actorOf(request);
    const { id, note_id } = request.params;
    return chatwootNote(
      await core.comments.get(actor, pathId(id, "contact"), pathId(note_id, "comment")),
      actor.accountId,
    );
  });

  const update = { schema: { params: NoteParams, body: NoteBody } };
  for (const method of ["patch", "put"] as const) {
    routes[method]("/contacts/:id/notes/:note_id", update, async (request) => {
      const actor = actorOf(request);
      const { id, note_id } = request.params;
      const comment = await core.comments.update(actor, pathId(id, "contact"), pathId(note_id, "comment"), {
        text: noteContent(request.body),
      });
      return chatwootNote(comment, actor.accountId);
    });
  }

  routes.delete("/contacts/:id/notes/:note_id", { schema: { params: NoteParams } }, async (request, reply) => {
    const { id, note_id } = request.params;
    await core.comments.delete(actorOf(request), pathId(id, "contact"), pathId(note_id, "comment"));
    return reply.code(200).send();
  });
}

/**
 * Rails' `params.require(:note)`: a missing or empty `note` is its own error; a note without
 * content goes on to the core, which names the blank field.
 */
function noteContent(body: { note?: { content?: string | null } | null }): string {
  const note = body.note;
  if (!note || Object.keys(note).length === 0) {
    throw new ChatwootError(422, { error: "param is missing or the value is empty: note" });
  }
  return note.content ?? "";
}

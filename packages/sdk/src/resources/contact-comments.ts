import type { APIClient } from "../client.js";
import type { Comment, CommentCreateParams, CommentDeleted, CommentUpdateParams, PageParams } from "../linked-types.js";
import type { PagePromise } from "../pagination.js";
import type { ID, RequestOptions } from "../types.js";
import { idPath } from "./ids.js";
import { skipPaged } from "./paged.js";

/**
 * The internal comments on one contact: `client.contacts.comments.create(id, { text })`. Anyone in
 * the account may comment; only a comment's author or an administrator may edit or delete it
 * (others get PermissionDeniedError).
 */
export class ContactComments {
  constructor(private readonly client: APIClient) {}

  /**
   * Adds a comment. Mention users in the text as `[@Name](mention://user/<id>/Name)` or list their
   * ids in `mentions`; an id that is not a user of the account is an UnprocessableEntityError.
   */
  async create(contactId: ID, params: CommentCreateParams, options?: RequestOptions): Promise<Comment> {
    return this.client.request({
      method: "POST",
      path: `/contacts/${idPath(contactId)}/comments`,
      body: commentBody(params),
      options,
    });
  }

  /** Newest first; await for one page or `for await` over every comment (pages by skip). */
  list(contactId: ID, params: PageParams = {}, options?: RequestOptions): PagePromise<Comment> {
    const { limit, skip } = params;
    return skipPaged(this.client, () => `/contacts/${idPath(contactId)}/comments`, { limit, skip }, options);
  }

  /** Replaces the text and the mentions. */
  async update(contactId: ID, commentId: ID, params: CommentUpdateParams, options?: RequestOptions): Promise<Comment> {
    return this.client.request({
      method: "PATCH",
      path: `/contacts/${idPath(contactId)}/comments/${idPath(commentId)}`,
      body: commentBody(params),
      options,
    });
  }

  async delete(contactId: ID, commentId: ID, options?: RequestOptions): Promise<CommentDeleted> {
    return this.client.request({
      method: "DELETE",
      path: `/contacts/${idPath(contactId)}/comments/${idPath(commentId)}`,
      options,
    });
  }
}

/** The server takes mentions as id strings; numbers are accepted here for convenience. */
function commentBody(params: CommentCreateParams): { text: string; mentions?: string[] } {
  const { text, mentions } = params;
  return mentions === undefined ? { text } : { text, mentions: mentions.map(String) };
}

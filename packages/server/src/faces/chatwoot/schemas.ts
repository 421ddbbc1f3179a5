import { type TSchema, Type } from "typebox";

/**
 * Request schemas of the Chatwoot face: as tolerant as Rails is of what clients send (numbers for
 * strings, numeric strings for ids, unknown keys ignored), strict only where a wrong shape could
 * not mean anything.
 */

const Optional = <T extends TSchema>(schema: T) => Type.Optional(schema);
const Text = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Null()]);
const Id = Type.Union([
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
  Type.String({ maxLength: 32 }),
  Type.Null(),
]);
const Hash = Type.Union([Type.Object({}), Type.Null()]);

export const AccountParams = Type.Object({ account_id: Type.String() });
export const IdParams = Type.Object({ account_id: Type.String(), id: Type.String() });
export const NoteParams = Type.Object({ account_id: Type.String(), id: Type.String(), note_id: Type.String() });

/** Query values arrive as text; repeated keys as arrays. */
export const PageQuery = Type.Object({
  page: Optional(Type.String()),
  sort: Optional(Type.String()),
  include_contact_inboxes: Optional(Type.String()),
});

export const ListQuery = Type.Object({
  page: Optional(Type.String()),
  sort: Optional(Type.String()),
  include_contact_inboxes: Optional(Type.String()),
  labels: Optional(Type.Array(Type.String())),
  "labels[]": Optional(Type.Array(Type.String())),
});

export const SearchQuery = Type.Object({
  q: Optional(Type.String()),
  page: Optional(Type.String()),
  sort: Optional(Type.String()),
  include_contact_inboxes: Optional(Type.String()),
});

export const ShowQuery = Type.Object({ include_contact_inboxes: Optional(Type.String()) });

const ContactFields = {
  name: Optional(Text),
  email: Optional(Text),
  phone_number: Optional(Text),
  identifier: Optional(Text),
  avatar_url: Optional(Text),
  blocked: Optional(Type.Union([Type.Boolean(), Type.String(), Type.Number(), Type.Null()])),
  additional_attributes: Optional(Hash),
  custom_attributes: Optional(Hash),
};

export const ContactUpdateBody = Type.Object(ContactFields);

export const ContactCreateBody = Type.Object({
  ...ContactFields,
  inbox_id: Optional(Id),
  source_id: Optional(Text),
});

export const ContactInboxBody = Type.Object({
  inbox_id: Id,
  source_id: Optional(Text),
  hmac_verified: Optional(Type.Boolean()),
});

export const FilterBody = Type.Object({
  payload: Type.Array(
    Type.Object({
      attribute_key: Optional(Type.String()),
      filter_operator: Optional(Type.String()),
      values: Optional(Type.Unknown()),
      query_operator: Optional(Type.Union([Type.String(), Type.Null()])),
    }),
  ),
});

export const LabelsBody = Type.Object({ labels: Optional(Type.Array(Type.String())) });

export const NoteBody = Type.Object({
  note: Optional(
    Type.Union([Type.Object({ content: Optional(Type.Union([Type.String(), Type.Null()])) }), Type.Null()]),
  ),
});

export const CustomAttributeKeysBody = Type.Object({
  custom_attributes: Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});

export const MergeBody = Type.Object({ base_contact_id: Id, mergee_contact_id: Id });

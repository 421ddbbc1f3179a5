import { Type } from "typebox";
import { MAX_PAGE_SIZE } from "../../core/contacts/contact.js";

/**
 * Request schemas. Query strings are lenient: parameters the SDK or iMBRACE's own web app send
 * that mean nothing here (`type=text`, `start_date`…) are ignored, while the ones that do mean
 * something are checked. Bodies are typed; unknown contact fields are ignored.
 */

const Limit = Type.Optional(
  Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `1 to ${MAX_PAGE_SIZE}, default 50` }),
);
const Skip = Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 }));
const Sort = Type.Optional(Type.String({ maxLength: 64, description: "A key, with a leading - for descending" }));
const ChannelTypes = Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 50 }));

export const PageQuery = Type.Object({ limit: Limit, skip: Skip });
export const ContactListQuery = Type.Object({ limit: Limit, skip: Skip, sort: Sort });
export const SearchQuery = Type.Object({ q: Type.String({ maxLength: 1024 }), limit: Limit, skip: Skip, sort: Sort });
export const ExportQuery = Type.Object({ sort: Sort });
export const ChannelPageQuery = Type.Object({ limit: Limit, skip: Skip, channel_types: ChannelTypes });

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const FileParams = Type.Object({ id: Type.String({ maxLength: 64 }), fileId: Type.String({ maxLength: 64 }) });

const Text = Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]));

export const ContactUpdate = Type.Object({
  name: Text,
  display_name: Text,
  first_name: Text,
  last_name: Text,
  email: Text,
  phone: Text,
  phone_number: Text,
  area_code: Text,
  avatar_url: Text,
});

const NotificationId = Type.Union([
  Type.String({ maxLength: 64 }),
  Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
]);
const NotificationIdList = Type.Array(NotificationId, { maxItems: 1000 });

/**
 * `{notification_id: [...]}` (the SDK), `{notification_id: "id"}`, a bare array (the service's
 * docs), or no body at all (the Python SDK's call without ids).
 */
export const NotificationIds = Type.Union([
  NotificationIdList,
  Type.Object(
    { notification_id: Type.Optional(Type.Union([NotificationId, NotificationIdList])) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

import type { Contact, Direction, SortKey } from "../core/contacts/contact.js";
import type { CustomType, FilterSubject } from "../core/contacts/filter-keys.js";
import type { FilterClause, FilterPlan, FilterTest } from "../core/contacts/filter-plan.js";
import { escapeLike, hasAnyLabel, orderBy, SORT_COLUMNS } from "./contact-queries.js";
import { CONTACT_COLUMNS, type ContactRow, toContact } from "./contacts.js";
import type { Queryable } from "./database.js";
import { type Sql, sql } from "./sql.js";

/**
 * A filter plan as SQL. Every value, attribute key included, is a parameter; only keywords and
 * casts chosen here are written into the text. Stored attribute values are never validated, so
 * typed comparisons read only values of the right shape and treat others as absent, instead of
 * letting one odd value fail a cast for the whole query.
 */

/** "date_text" is a YYYY-MM-DD string: compared as text, in byte order, which is date order. */
type ValueType = "text" | "numeric" | "date" | "boolean" | "date_text";

interface Operand {
  /** The condition holds when it holds for any of these. */
  expressions: Sql[];
  type: ValueType;
}

const NUMBER = "^[[:space:]]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,3})?[[:space:]]*$";
const DATE_PREFIX = "^[0-9]{4}-[0-9]{2}-[0-9]{2}";
const TRUE_TEXT = ["true", "t", "1", "yes"];
const FALSE_TEXT = ["false", "f", "0", "no"];

/** Text columns as compared: name and identifier lower-cased, email already stored so, phone in E.164. */
const COLUMNS = {
  name: sql`lower(c.name)`,
  email: sql`c.email`,
  phone_e164: sql`c.phone_e164`,
  identifier: sql`lower(c.identifier)`,
};

function operandOf(subject: Exclude<FilterSubject, { kind: "labels" }>): Operand {
  switch (subject.kind) {
    case "column":
      return { expressions: [COLUMNS[subject.column]], type: "text" };
    case "additional":
      return {
        expressions: subject.keys.map((key) => sql`lower(c.additional_attributes ->> ${key}::text)`),
        type: "text",
      };
    case "custom":
      return customOperand(subject.key, subject.type);
    case "timestamp": {
      const column = sql.raw(subject.column === "created_at" ? "c.created_at" : "c.last_activity_at");
      return { expressions: [sql`(${column} AT TIME ZONE 'UTC')::date`], type: "date" };
    }
    case "blocked":
      return { expressions: [sql`c.blocked`], type: "boolean" };
  }
}

function customOperand(key: string, type: CustomType): Operand {
  const value = sql`(c.custom_attributes ->> ${key}::text)`;
  switch (type) {
    case "text":
      return { expressions: [sql`lower(${value})`], type: "text" };
    case "number":
      return { expressions: [sql`CASE WHEN ${value} ~ ${NUMBER} THEN ${value}::numeric END`], type: "numeric" };
    case "date":
      return {
        expressions: [sql`CASE WHEN ${value} ~ ${DATE_PREFIX} THEN substr(${value}, 1, 10) END`],
        type: "date_text",
      };
    case "boolean":
      return {
        expressions: [
          sql`CASE WHEN lower(btrim(${value})) = ANY(${TRUE_TEXT}::text[]) THEN true
            WHEN lower(btrim(${value})) = ANY(${FALSE_TEXT}::text[]) THEN false END`,
        ],
        type: "boolean",
      };
  }
}

function comparison(expression: Sql, type: ValueType, test: FilterTest): Sql {
  const cast = sql.raw(type === "date_text" ? "text" : type);
  // Byte order for YYYY-MM-DD text, whatever collation the server defaults to.
  const ordered = type === "date_text" ? sql`${expression} COLLATE "C"` : expression;
  switch (test.test) {
    case "equals":
      return sql`${expression} = ANY(${test.values}::${cast}[])`;
    case "contains":
      return sql`${expression} ILIKE ANY(${test.values.map((v) => `%${escapeLike(v)}%`)}::text[])`;
    case "starts_with":
      return sql`${expression} LIKE ANY(${test.values.map((v) => `${escapeLike(v)}%`)}::text[])`;
    case "present":
      return sql`${expression} IS NOT NULL`;
    case "greater_than":
      return sql`${ordered} > ${test.value}::${cast}`;
    case "less_than":
      return sql`${ordered} < ${test.value}::${cast}`;
  }
}

const HAS_LABELS = sql`EXISTS (
  SELECT 1 FROM contact_labels cl WHERE cl.account_id = c.account_id AND cl.contact_id = c.id)`;

function clauseSql(clause: FilterClause): Sql {
  let holds: Sql;
  if (clause.subject.kind === "labels") {
    holds = clause.test.test === "equals" ? hasAnyLabel(clause.test.values) : HAS_LABELS;
  } else {
    const operand = operandOf(clause.subject);
    const parts = operand.expressions.map((expression) => comparison(expression, operand.type, clause.test));
    holds = parts.length === 1 ? (parts[0] as Sql) : sql`(${sql.join(parts, " OR ")})`;
  }
  // A missing value makes a comparison unknown: it never matches, and its negation always does.
  return clause.negated ? sql`NOT coalesce(${holds}, false)` : sql`coalesce(${holds}, false)`;
}

/** The clauses joined left to right; PostgreSQL then binds AND tighter than OR, as Chatwoot's filter does. */
function planSql(plan: FilterPlan): Sql {
  if (plan.clauses.length === 0) return sql`true`;
  const parts: Sql[] = [];
  plan.clauses.forEach((clause, index) => {
    if (index > 0) parts.push(sql.raw(plan.joins[index - 1] === "OR" ? " OR " : " AND "));
    parts.push(sql`(${clauseSql(clause)})`);
  });
  return sql`(${sql.join(parts, "")})`;
}

export async function filterContactRows(
  db: Queryable,
  accountId: number,
  query: { plan: FilterPlan; sort: SortKey; direction: Direction; limit: number; skip: number },
): Promise<Contact[]> {
  const rows = await db.query<ContactRow>(sql`
    SELECT ${CONTACT_COLUMNS}
    FROM contacts c
    WHERE c.account_id = ${accountId} AND ${planSql(query.plan)}
    ORDER BY ${orderBy(SORT_COLUMNS[query.sort], query.direction)}
    LIMIT ${query.limit} OFFSET ${query.skip}`);
  return rows.map(toContact);
}

export async function countFilteredContacts(db: Queryable, accountId: number, plan: FilterPlan): Promise<number> {
  const [row] = await db.query<{ n: string }>(
    sql`SELECT count(*) AS n FROM contacts c WHERE c.account_id = ${accountId} AND ${planSql(plan)}`,
  );
  return Number(row?.n ?? 0);
}

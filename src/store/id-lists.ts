// Lists of ids sent to PostgreSQL and read back as one text value each. A PATCH may name 10,000
// member values (SPEC §5.4); as an array parameter or as one row per id, the driver would spend
// milliseconds of the event loop quoting and parsing them one by one, in every statement.

/** A UUID in any case, as a PostgreSQL regular expression for `~*`. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/**
 * SQL for a `?` bound to idList(ids): those of the ids that are UUIDs, as uuid[]. Others are left
 * out (no row has them) by PostgreSQL, which checks 10,000 of them faster than a JavaScript RegExp.
 */
export const ID_ARRAY = `array(select id::uuid from json_array_elements_text(?::json) as ids(id) where id ~* '${UUID_PATTERN}')`;

/** The ids as bound to ID_ARRAY; one list passed to several statements is written out once. */
export function idList(ids: string[]): string {
  let text = written.get(ids);
  if (text === undefined) written.set(ids, (text = JSON.stringify(ids)));
  return text;
}

const written = new WeakMap<string[], string>();

/** SQL that aggregates `column` of `rows` (a CTE) into one text value, `ids`. */
export const idsOf = (rows: string, column: string) => `select string_agg(${column}::text, ',') as ids from ${rows}`;

/** The ids of a statement built with idsOf. */
export function idsFrom(result: { rows: { ids: string | null }[] }): string[] {
  const text = result.rows[0]?.ids;
  return text ? text.split(',') : [];
}

// Lists of ids sent to PostgreSQL and read back as one text value each. A PATCH may name 10,000
// member values (SPEC §5.4); as an array parameter or as one row per id, the driver would spend
// milliseconds of the event loop quoting and parsing them one by one, in every statement.

/** SQL for a `?` bound to idList(ids): the ids as uuid[]. Every id must be a UUID (isUuid). */
export const ID_ARRAY = "string_to_array(?, ',')::uuid[]";

export function idList(ids: string[]): string {
  return ids.join(',');
}

/** SQL that aggregates the `id` column of `rows` (a CTE) into one text value, `ids`. */
export const idsOf = (rows: string, column: string) => `select string_agg(${column}::text, ',') as ids from ${rows}`;

/** The ids of a statement built with idsOf. */
export function idsFrom(result: { rows: { ids: string | null }[] }): string[] {
  const text = result.rows[0]?.ids;
  return text ? text.split(',') : [];
}

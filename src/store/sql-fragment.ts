import type { Knex } from 'knex';

/**
 * A piece of SQL with its `?` bindings, built only with the `sql` template below: interpolated
 * values become bindings, interpolated fragments are spliced in. Identifiers come from `raw()`,
 * whose text must never contain request data.
 */
export class SqlFragment {
  constructor(
    readonly sql: string,
    readonly bindings: Knex.Value[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  let text = strings[0];
  const bindings: Knex.Value[] = [];
  values.forEach((value, i) => {
    if (value instanceof SqlFragment) {
      text += value.sql;
      bindings.push(...value.bindings);
    } else {
      // knex expands array bindings into lists; none of ours may be an array.
      if (Array.isArray(value)) throw new Error('sql``: array bindings are not supported');
      text += '?';
      bindings.push(value as Knex.Value);
    }
    text += strings[i + 1];
  });
  return new SqlFragment(text, bindings);
}

export function raw(text: string): SqlFragment {
  return new SqlFragment(text, []);
}

export function join(fragments: SqlFragment[], separator: string): SqlFragment {
  return new SqlFragment(
    fragments.map((f) => f.sql).join(separator),
    fragments.flatMap((f) => f.bindings),
  );
}

export const TRUE = raw('true');
export const FALSE = raw('false');

import { Readable } from 'node:stream';

/**
 * Serialises `head` with one array attribute appended whose elements arrive in pages, so a
 * resource with 100,000 members is written without ever holding them all (SPEC §7).
 */
export async function* objectWithStreamedArray(head: Record<string, unknown>, key: string, pages: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  const opening = JSON.stringify(head);
  yield opening === '{}' ? '{' : `${opening.slice(0, -1)},`;
  yield `${JSON.stringify(key)}:[`;
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    const text = page.map((item) => JSON.stringify(item)).join(',');
    yield first ? text : `,${text}`;
    first = false;
  }
  yield ']}';
}

export function readableFrom(chunks: AsyncIterable<string>): Readable {
  return Readable.from(chunks, { objectMode: false });
}

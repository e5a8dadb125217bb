/** A request the pages refuse before any domain rule is asked (a stale form, a bad body): status and Swedish words. */
export class PageError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'PageError';
  }
}

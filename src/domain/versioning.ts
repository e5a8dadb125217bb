import { PreconditionFailed } from '../model/outcomes.ts';

/**
 * RFC 7644 §3.14 with RFC 7232 §3.1: `If-Match` holds `*` or a list of entity tags; the write
 * goes ahead only when one matches the current version (weak comparison: W/ is ignored).
 */
export function checkIfMatch(ifMatch: string | undefined, currentEtag: string): void {
  if (!ifMatch) return;
  const wanted = ifMatch.split(',').map((t) => t.trim());
  if (wanted.includes('*')) return;
  const strip = (t: string) => t.replace(/^W\//, '');
  if (!wanted.some((t) => strip(t) === strip(currentEtag))) {
    throw new PreconditionFailed(`the resource has changed: its version is ${currentEtag}, not ${ifMatch}`);
  }
}

/** RFC 7232 §3.2: true when If-None-Match names the current version (the client's copy is fresh). */
export function ifNoneMatchHits(ifNoneMatch: string | undefined, currentEtag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(currentEtag));
}

import fs from 'node:fs';
import path from 'node:path';

// Summarises a V8 .cpuprofile (node --cpu-prof) by where the time went: self time per function
// and per place (our src/, each node_modules package, node's internals), as Markdown.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function placeOf(url: string, repo: string): string {
  if (!url) return '(native / idle / GC)';
  const file = url.replace(/^file:\/\//, '');
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (modules) return modules[1];
  if (file.startsWith('node:') || !file.startsWith('/')) return 'node internals';
  const relative = path.relative(repo, file);
  return relative.startsWith('..') ? file : relative.split('/').slice(0, 2).join('/');
}

export function summariseProfile(file: string, repo: string, top = 20): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = node.callFrame.url ? `${placeOf(node.callFrame.url, repo)} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const place = name === '(garbage collector)' ? '(garbage collector)' : placeOf(node.callFrame.url, repo);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`;
  const rows = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${(us / 1000).toFixed(0)} | ${pct(us)} |`);
  return [
    `CPU profile of our server (${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s sampled):`,
    '',
    '| where (self time) | ms | share of busy |',
    '|---|--:|--:|',
    ...rows(byPlace),
    '',
    '| function (self time) | ms | share of busy |',
    '|---|--:|--:|',
    ...rows(byFunction),
  ].join('\n');
}

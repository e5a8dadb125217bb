import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import type { Row } from './scenarios.ts';

export interface MachineInfo {
  nproc: string;
  cpu: string;
  free: string;
  node: string;
  postgres: string;
  postgresSettings: string;
  /** 1-minute load average when the run started and when it ended: other work on the machine skews the figures. */
  load: string;
}

function sh(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return '(unavailable)';
  }
}

export function machineInfo(postgres: string, postgresSettings: string, loadAtStart: number): MachineInfo {
  return {
    load: `load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    nproc: sh('nproc', []),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    free: sh('free', ['-h']),
    node: process.version,
    postgres,
    postgresSettings,
  };
}

function format(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const digits = unit === '×' || unit === 's' ? 2 : unit === 'ms' ? (value < 10 ? 3 : 1) : value < 10 ? 2 : 0;
  return `${value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: unit === '×' ? 2 : 0 })}${unit === '×' ? ' ×' : ''}`;
}

const verdict = (row: Row) => {
  if (row.note?.startsWith('failed')) return '**failed**';
  if (row.met === null) return row.note?.startsWith('not yet') ? 'n/a' : '';
  return row.met ? 'met' : '**missed**';
};

/** The results as a Markdown table: scenario, our figure, the floor's (or a reference), ratio, target, met/missed. */
export function table(rows: Row[]): string {
  const lines = [
    '| scenario | unit | ours | floor | ours ÷ floor | target | met? |',
    '|---|---|--:|--:|--:|---|---|',
  ];
  for (const row of rows) {
    const note = row.note ? ` (${row.note})` : '';
    lines.push(`| ${row.scenario}${note} | ${row.unit === '×' ? 'ratio' : row.unit} | ${format(row.ours, row.unit)} | ${format(row.floor, row.unit)} | ${format(row.ratio, '×')} | ${row.target} | ${verdict(row)} |`);
  }
  return lines.join('\n');
}

/** Every repetition's figure, for the record. */
export function runsTable(rows: Row[]): string {
  const lines = ['| figure | ours, each run | floor, each run |', '|---|---|---|'];
  for (const row of rows) {
    if (!row.runs) continue;
    const list = (v: number[]) => v.map((x) => format(x, row.unit)).join(', ') || '—';
    lines.push(`| ${row.key} | ${list(row.runs.ours)} | ${list(row.runs.floor)} |`);
  }
  return lines.join('\n');
}

/** The commit the measured code is at, and how many files under src/ and migrations/ differ from it. */
export function codeRevision(): string {
  const head = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--', 'src', 'migrations']).split('\n').filter(Boolean).length;
  return `${head}${dirty ? ` with ${dirty} uncommitted file(s) under src/ or migrations/` : ''}`;
}

export interface Section {
  title: string;
  command: string;
  code: string;
  machine: MachineInfo;
  dataset: string;
  load: string;
  rows: Row[];
  rssTimeline: string[];
  explain: string;
  durationSeconds: number;
}

export function markdownSection(s: Section): string {
  const missed = s.rows.filter((r) => r.met === false);
  return [
    `## ${s.title}`,
    '',
    `Command: \`${s.command}\` (took ${Math.round(s.durationSeconds)} s); code at ${s.code} when the servers started`,
    '',
    `Machine: ${s.machine.nproc} CPUs (${s.machine.cpu}); Node ${s.machine.node}; ${s.machine.postgres}; ${s.machine.postgresSettings}; ${s.machine.load}`,
    '',
    '```',
    s.machine.free,
    '```',
    '',
    `Data set: ${s.dataset}`,
    '',
    `Load: ${s.load}`,
    '',
    table(s.rows),
    '',
    missed.length ? `Missed: ${missed.map((r) => r.scenario).join('; ')}.` : 'Every target with a figure is met.',
    '',
    '<details><summary>Each run</summary>',
    '',
    runsTable(s.rows),
    '',
    'Server RSS (ours / floor) after each scenario:',
    '',
    ...s.rssTimeline.map((l) => `- ${l}`),
    '',
    '</details>',
    '',
    s.explain,
    '',
  ].join('\n');
}

export function appendResults(file: string, section: string): void {
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, [
      '# Benchmark results',
      '',
      'Appended by `npm run bench` (quick) and `npm run bench:full` (1M users); see issue 6 for the',
      'targets. Each figure is the median of the runs listed under "Each run"; ours and the floor',
      '(`bench/floor.ts`, a minimal Koa + pg server doing the same indexed queries) are measured in',
      'the same run, alternating which goes first. Ratios are ours ÷ floor, except the rows marked',
      '"÷", which compare two of our own figures.',
      '',
    ].join('\n'));
  }
  fs.appendFileSync(file, `\n${section}`);
}

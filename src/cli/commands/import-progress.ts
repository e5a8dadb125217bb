import cliProgress from 'cli-progress';

/** Rows done out of the file's total, on stderr, so stdout holds only the summary. */
export interface Progress {
  advance(rows: number): void;
  stop(): void;
}

/**
 * A progress bar (cli-progress) with rows done/total and rows per second when stderr is a
 * terminal; otherwise (CI, a pipe, tests) one plain line at each tenth, or nothing when quiet.
 */
export function progress(total: number, options: { quiet: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  const started = Date.now();
  let done = 0;
  const rate = () => Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));

  if (options.quiet || total === 0) return { advance: (rows) => void (done += rows), stop: () => undefined };

  if (!stream.isTTY) {
    let tenth = 0;
    return {
      advance(rows) {
        done += rows;
        const reached = Math.floor((done * 10) / total);
        if (reached > tenth) {
          tenth = reached;
          stream.write(`import: ${tenth * 10}% (${done}/${total} rows, ${rate()} rows/s)\n`);
        }
      },
      stop: () => undefined,
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'import |{bar}| {percentage}% | {value}/{total} rows | {rate} rows/s | {eta_formatted} left',
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: 0 });
  return {
    advance(rows) {
      done += rows;
      bar.update(done, { rate: rate() });
    },
    stop: () => bar.stop(),
  };
}

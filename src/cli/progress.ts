import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr that appears only once work has run for over a second, and never when
 * stderr is not a terminal or the user asked for quiet.
 */
export function progressBar(
  label: string,
  options: { quiet: boolean; delayMs?: number },
): Progress {
  const enabled = !options.quiet && Boolean(process.stderr.isTTY);
  const started = Date.now();
  const delay = options.delayMs ?? 1000;
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(done, total) {
      if (!enabled) return;
      if (!bar) {
        if (Date.now() - started < delay) return;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {value}/{total} steps | {percentage}% | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

import cliProgress from 'cli-progress';

export interface Progress {
  /** extra: text after the ETA, e.g. the current ELBO. */
  update(done: number, total: number, extra?: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr that appears only once work has run for over a second, and never when
 * stderr is not a terminal or the user asked for quiet.
 */
export function progressBar(
  label: string,
  options: { quiet: boolean; delayMs?: number; unit?: string },
): Progress {
  const enabled = !options.quiet && Boolean(process.stderr.isTTY);
  const started = Date.now();
  const delay = options.delayMs ?? 1000;
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(done, total, extra) {
      if (!enabled) return;
      if (!bar) {
        if (Date.now() - started < delay) return;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {value}/{total} ${options.unit ?? 'steps'} | {percentage}% | ETA {eta_formatted}{extra}`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { extra: '' });
      }
      bar.update(done, { extra: extra ? ` | ${extra}` : '' });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

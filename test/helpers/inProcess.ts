// The CLI run in this process through main() (the code behind the `anneal` binary, without a Node
// start-up per call), with what it writes to stdout and stderr captured.
import { main } from '../../src/cli/main.js';

type Write = (...args: unknown[]) => boolean;

/** Runs `anneal ...argv` in-process; returns the exit status and the text it wrote. */
export async function annealInProcess(
  argv: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const captured = { stdout: '', stderr: '' };
  const original = {
    stdout: process.stdout.write.bind(process.stdout),
    stderr: process.stderr.write.bind(process.stderr),
  };
  // The CLI writes strings; the test runner's own messages to its parent are binary: pass those on.
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (original[stream] as Write)(chunk, ...rest);
      captured[stream] += chunk;
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const status = await main(argv);
    return { status, ...captured };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

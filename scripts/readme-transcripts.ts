// The command transcripts in README.md and docs/guide.md, run for real. A ```text block whose first
// line is `$ npx anneal ...` or `$ npx tsx examples/...` is the command and its output; a ```ts
// block after a `<!-- file: PATH -->` line is that file, whole. `--write` reruns every command and
// writes its output (and every marked file) into the pages; `--check` (CI) reruns them and fails
// where a page differs. A block that shows `...` lines shows only some of the output: each line it
// shows must match the output's line with the same label. Wall times (a number before " s", and
// JSON "seconds") are compared as placeholders.
//
// The numbers are bit-for-bit reproducible on one kind of machine, but the native kernels are
// compiled for the machine's vector width (-march=native), whose float reductions round
// differently: --check compares only where the native kernels match those of the run that wrote
// the pages (docs/results/readme-transcripts.json), and says so where they do not.
//
//   npx tsx scripts/readme-transcripts.ts --write
//   npx tsx scripts/readme-transcripts.ts --check
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checked, usage } from './args.js';
import { generatedNow, type Generated } from './render/common.js';
import { nativeStatus } from '../src/engine/index.js';

const PAGES = ['README.md', 'docs/guide.md'];
const RECORD = 'docs/results/readme-transcripts.json';
const HELP = 'usage: npx tsx scripts/readme-transcripts.ts --write | --check';

interface Record_ {
  generated: Generated;
  commit: string;
  /** The native kernels' build (vector width) the transcripts were written with. */
  native: string;
  commands: string[];
}

const { values } = checked(() =>
  parseArgs({
    options: {
      write: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }),
);
if (values.help || values.write === values.check) usage(HELP);

/** The vector width the native kernels were built for ("avx512, 2 threads" -> "avx512"). */
const nativeBuild = (status: string) => status.split(',')[0]?.trim() ?? status;

/** Runs a transcript's command from the repository root; its stdout, as the page shows it. */
function run(command: string): string {
  const args = command.split(/\s+/).filter(Boolean);
  const [tool, ...rest] = args;
  const argv =
    tool === 'anneal'
      ? ['bin/anneal.js', ...rest]
      : tool === 'tsx'
        ? ['--import', 'tsx', ...rest]
        : usage(`transcript command '${command}' is neither npx anneal nor npx tsx`);
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0)
    throw new Error(`'npx ${command}' exited ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
  let out = r.stdout.replace(/\n+$/, '');
  if (rest.includes('--json')) {
    // The page abbreviates the per-step readings.
    const o = JSON.parse(out) as Record<string, unknown>;
    if ('perStep' in o) o.perStep = '[...]';
    if ('perStepMeaning' in o) o.perStepMeaning = '{...}';
    out = JSON.stringify(o).replace('"[...]"', '[...]').replace('"{...}"', '{...}');
  }
  return out;
}

/** A line with its wall times replaced by placeholders. */
const normalize = (line: string) =>
  line
    .replace(/\d+(\.\d+)?(e[+-]?\d+)? s\b/g, '# s')
    .replace(/"seconds":[-0-9.e+]+/g, '"seconds":#');

/**
 * The label of a report line ("log Z       ..." -> "log Z"): the CLI pads labels to 12 columns, so
 * an 11-character label ("exact log Z") is followed by one space only.
 */
const label = (line: string) =>
  line.length > 12 && line[11] === ' ' && line[10] !== ' '
    ? line.slice(0, 12).trimEnd()
    : (line.split(/\s{2,}/)[0] ?? line);

const problems: string[] = [];
/** Marked files shown otherwise than they are: machine-independent, so always a failure. */
const fileProblems: string[] = [];
const commands: string[] = [];
for (const page of PAGES) {
  const lines = readFileSync(page, 'utf8').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const file = /^<!-- file: (\S+) -->$/.exec(line)?.[1];
    if (file && lines[i + 1] === '' && lines[i + 2]?.startsWith('```')) {
      // The marked file, whole (the marker, a blank line, the fence).
      let end = i + 3;
      while (!(lines[end] as string).startsWith('```')) end++;
      const shown = lines.slice(i + 3, end).join('\n');
      const actual = readFileSync(file, 'utf8').replace(/\n+$/, '');
      if (shown !== actual)
        problems.push(`${page}: the block after line ${i + 1} is not ${file} as it is now`);
      out.push(
        ...lines.slice(i, i + 3),
        ...(values.write ? actual.split('\n') : lines.slice(i + 3, end)),
      );
      i = end - 1;
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (line === '```text' && /^\$ npx (anneal|tsx examples\/)/.test(next)) {
      let j = i + 1;
      const parts = [next.slice('$ npx '.length)];
      while ((lines[j] as string).endsWith('\\')) parts.push((lines[++j] as string).trim());
      const command = parts.map((p) => p.replace(/\\$/, '').trim()).join(' ');
      let end = j + 1;
      while (!(lines[end] as string).startsWith('```')) end++;
      const shown = lines.slice(j + 1, end);
      process.stderr.write(`${page}: npx ${command}\n`);
      commands.push(command);
      const actual = run(command).split('\n');
      // The auto sampler stops adding systems at its time limit: on a loaded machine it stops
      // sooner, with fewer systems than the page's run. Such a run is not compared.
      if (values.check && actual.some((l) => l.includes('the time limit stopped it'))) {
        process.stderr.write(`  not compared: the run hit its time limit (a loaded machine)\n`);
        out.push(...lines.slice(i, end));
        i = end - 1;
        continue;
      }
      let written = actual;
      if (shown.includes('...')) {
        // Only some lines shown: each must match the output's line of the same label.
        written = shown.map((s) => {
          if (s === '...') return s;
          const match = actual.find((a) => label(a) === label(s));
          if (!match) problems.push(`${page}: 'npx ${command}' prints no '${label(s)}' line`);
          return match ?? s;
        });
      } else if (shown.length !== actual.length) {
        problems.push(
          `${page}: 'npx ${command}' prints ${actual.length} lines, the page shows ${shown.length}`,
        );
      }
      written.forEach((w, k) => {
        const s = shown[k];
        if (s !== undefined && normalize(s) !== normalize(w))
          problems.push(`${page}: 'npx ${command}':\n  page:   ${s}\n  output: ${w}`);
      });
      out.push(...lines.slice(i, j + 1), ...(values.write ? written : shown));
      i = end - 1;
      continue;
    }
    out.push(line);
  }
  if (values.write) writeFileSync(page, out.join('\n'));
}

const native = nativeStatus();
if (values.write) {
  const record: Record_ = {
    generated: generatedNow({ node: process.version }),
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    native,
    commands,
  };
  writeFileSync(RECORD, `${JSON.stringify(record, null, 2)}\n`);
  process.stderr.write(`wrote ${commands.length} transcripts into ${PAGES.join(', ')}\n`);
} else {
  const record = JSON.parse(readFileSync(RECORD, 'utf8')) as Record_;
  if (fileProblems.length) {
    process.stderr.write(`readme-transcripts: ${fileProblems.join('\n')} (rewrite with --write)\n`);
    process.exit(1);
  }
  if (nativeBuild(record.native) !== nativeBuild(native)) {
    process.stderr.write(
      `readme-transcripts: not compared: the pages were written with native kernels '${record.native}' and this machine has '${native}', whose float rounding differs; every command ran (${commands.length})\n`,
    );
  } else if (problems.length) {
    process.stderr.write(
      `readme-transcripts: ${problems.length} differences (rewrite with --write):\n${problems.join('\n')}\n`,
    );
    process.exit(1);
  } else process.stderr.write(`readme-transcripts: ${commands.length} transcripts match\n`);
}

import { describeDimRule, listTargets } from '../targets/registry.js';

export function targetsCommand(options: { json?: boolean }): void {
  const specs = listTargets();
  if (options.json) {
    const rows = specs.map((s) => ({
      name: s.name,
      defaultDim: s.defaultDim,
      dims: s.dimRule,
      logZKnown: s.logZKnown,
      description: s.description,
    }));
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  const header = ['target', 'dim', 'dims allowed', 'log Z', 'description'];
  const rows = specs.map((s) => [
    s.name,
    String(s.defaultDim),
    describeDimRule(s.dimRule, s.defaultDim),
    s.logZKnown ? 'exact' : 'unknown',
    s.description,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (r: string[]) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

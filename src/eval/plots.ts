// Pictures of runs as SVG, drawn with Vega-Lite headless (no browser): a result's per-step
// readings (ESS, running log Z, acceptance), what the auto sampler chose at each temperature, and
// the shared panel layout the command line's run-directory pictures use too. For runs made in
// code as for the command line: `await perStepSvg(result.perStep)` is a string to write to a file.
import type * as vegaLite from 'vega-lite';
import type { StepDiagnostics } from '../annealing/diagnostics.js';

/** A Vega-Lite spec drawn as SVG text. */
export async function toSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  // Loaded here, not at start: Vega's import costs a few tenths of a second that commands which
  // draw nothing (logz, targets, every refused invocation) should not pay.
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Series of values against x, one panel per series, each with its own y scale. */
export function panels(
  values: { x: number; value: number; series: string }[],
  xTitle: string,
  points: boolean,
): vegaLite.TopLevelSpec | null {
  if (values.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    width: 320,
    height: 200,
    facet: { column: { field: 'series', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      mark: points ? { type: 'line', point: { size: 10 } } : { type: 'line' },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      },
    },
  };
}

/** ESS / N, the running log Z and (Metropolis-corrected moves) the acceptance against the step. */
export function perStepSpec(perStep: readonly StepDiagnostics[]): vegaLite.TopLevelSpec | null {
  const values: { x: number; value: number; series: string }[] = [];
  for (const s of perStep) {
    values.push({ x: s.step, value: s.essFraction, series: 'ESS / N (per system)' });
    values.push({ x: s.step, value: s.logZ, series: 'running log Z' });
    if (s.acceptance !== null && Number.isFinite(s.acceptance))
      values.push({ x: s.step, value: s.acceptance, series: 'acceptance' });
  }
  return panels(values, 'annealing step k', true);
}

/** The per-step picture of a result (estimateLogZ, evaluateSampler, anneal logz --json) as SVG. */
export async function perStepSvg(perStep: readonly StepDiagnostics[]): Promise<string> {
  const spec = perStepSpec(perStep);
  if (!spec) throw new RangeError('perStepSvg: the result has no per-step readings');
  return toSvg(spec);
}

/** The rows of an auto run's per-temperature record that the tempering picture draws. */
const TEMPERATURE_SERIES = [
  ['beta', 'beta'],
  ['stepSize', 'step size'],
  ['acceptance', 'acceptance'],
  ['moves', 'moves'],
  ['essFraction', 'ESS / N of the increment'],
] as const;

/**
 * What the auto sampler chose at each temperature (the `temperatures` of `anneal logz --json`),
 * one panel per series, plus the preconditioner's median scale.
 */
export function temperaturesSpec(temperatures: unknown): vegaLite.TopLevelSpec | null {
  if (!Array.isArray(temperatures)) return null;
  const values: { x: number; value: number; series: string }[] = [];
  temperatures.forEach((t: Record<string, unknown>, k) => {
    for (const [key, series] of TEMPERATURE_SERIES) {
      const v = Number(t[key]);
      if (Number.isFinite(v)) values.push({ x: k + 1, value: v, series });
    }
    const scale = (t.scale as { median?: unknown } | undefined)?.median;
    if (Number.isFinite(Number(scale)))
      values.push({ x: k + 1, value: Number(scale), series: 'median scale' });
  });
  return panels(values, 'temperature', true);
}

/** What the auto sampler chose at each temperature (result.auto.temperatures) as SVG. */
export async function temperaturesSvg(temperatures: unknown): Promise<string> {
  const spec = temperaturesSpec(temperatures);
  if (!spec) throw new RangeError('temperaturesSvg: no per-temperature record (auto results only)');
  return toSvg(spec);
}

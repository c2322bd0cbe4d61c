// docs/results/vae-gpu-run.md from the JSON of scripts/vae-gpu-run.ts. Pure: the results test
// re-renders it.
import { generatedText, pm, type Generated } from './common.js';

interface Estimate {
  mean: number;
  stdErr: number | null;
}

export interface VaeGpuRun {
  backend: string;
  /** Where it ran: the CPU, or the GPU and its driver. */
  machine: string;
  iterations: number;
  trainSeconds: number;
  evaluation: {
    testImages: number;
    elbo: number;
    elboStdErr: number | null;
    elboKind: string;
    iwae: number;
    iwaeStdErr: number | null;
    iwaeSamples: number;
    ais: (Estimate & { acceptance: number }) | null;
    aisSteps: number;
    aisChains: number;
    bdmc: { images: number; lower: number; upper: number; gap: number } | null;
    seconds: number;
  };
  /** The learned sampler's parameters after training (sampler objectives), else null. */
  sampler: {
    betas: number[];
    stepSizes: number[];
    eta: number | null;
    meanMass: number | null;
  } | null;
}

export interface VaeGpuRunData {
  generated: Generated;
  /** The command each run is (B: its backend). */
  command: string;
  config: string;
  runs: VaeGpuRun[];
}

/** Largest absolute difference between two runs' learned sampler parameters. */
function samplerGap(a: VaeGpuRun, b: VaeGpuRun): number | null {
  if (!a.sampler || !b.sampler) return null;
  const xs = [
    ...a.sampler.betas,
    ...a.sampler.stepSizes,
    a.sampler.eta ?? 0,
    a.sampler.meanMass ?? 0,
  ];
  const ys = [
    ...b.sampler.betas,
    ...b.sampler.stepSizes,
    b.sampler.eta ?? 0,
    b.sampler.meanMass ?? 0,
  ];
  return xs.length === ys.length
    ? Math.max(...xs.map((x, i) => Math.abs(x - (ys[i] as number))))
    : null;
}

/** wasm / webgpu seconds where both ran on one machine (above 1: the GPU is faster). */
function sameMachineRatios(runs: VaeGpuRun[]): string[] {
  const gpu = runs.find((r) => r.backend === 'webgpu');
  const cpu = runs.find((r) => r.backend === 'wasm' && r.machine === gpu?.machine);
  if (!gpu || !cpu) return [];
  const f = (a: number, b: number) => (a / b).toFixed(2);
  return [
    `On the GPU machine, wasm / webgpu (above 1: webgpu is faster) is ${f(cpu.trainSeconds, gpu.trainSeconds)} for training and`,
    `${f(cpu.evaluation.seconds, gpu.evaluation.seconds)} for the evaluation (one run each): at these sizes each operation is too small for the GPU to`,
    'repay its per-operation cost; vae-gpu.md times training at a larger batch, where it does.',
    '',
  ];
}

export function renderVaeGpuRun(d: VaeGpuRunData): string {
  const first = d.runs[0] as VaeGpuRun;
  const e = first.evaluation;
  const lines = [
    '# One whole VAE run on each backend: training and the full evaluation',
    '',
    `Each row is \`${d.command}\` with B its backend; the page was written`,
    `${generatedText(d.generated)}. Where each row ran:`,
    '',
    ...d.runs.map((r) => `- ${r.backend}: ${r.machine}`),
    '',
    `The run trains for ${first.iterations} Adam iterations, then evaluates on ${e.testImages} test images: the`,
    `sampler's own bound (${e.elboKind}, "bound"), the IWAE bound with K = ${e.iwaeSamples}, the AIS log-likelihood (${e.aisSteps} HMC`,
    `steps x ${e.aisChains} chains), BDMC on ${e.bdmc?.images ?? 0} simulated images, and the pictures. ± is one standard error`,
    'over test images. The backends differ in float rounding only: the columns should agree to far',
    'less than their standard errors, and the learned sampler parameters (schedule, step sizes,',
    'damping, mass) to float precision. "sampler diff." is the largest absolute difference of those',
    'parameters from the first row. Seconds are wall-clock seconds of one run each.',
    '',
    ...sameMachineRatios(d.runs),
    '| backend | train s | eval s | bound | IWAE | AIS log p(x) | BDMC lower / upper (gap) | sampler diff. |',
    '|---|---|---|---|---|---|---|---|',
    ...d.runs.map((r) => {
      const v = r.evaluation;
      const gap = samplerGap(first, r);
      return (
        `| ${r.backend} | ${r.trainSeconds.toFixed(1)} | ${v.seconds.toFixed(1)} | ` +
        `${pm(v.elbo, v.elboStdErr)} | ${pm(v.iwae, v.iwaeStdErr)} | ` +
        `${v.ais ? pm(v.ais.mean, v.ais.stdErr) : 'n/a'} | ` +
        `${v.bdmc ? `${v.bdmc.lower.toFixed(3)} / ${v.bdmc.upper.toFixed(3)} (${v.bdmc.gap.toFixed(3)})` : 'n/a'} | ` +
        `${r === first ? '-' : gap === null ? 'n/a' : gap.toExponential(1)} |`
      );
    }),
    '',
  ];
  return lines.join('\n');
}

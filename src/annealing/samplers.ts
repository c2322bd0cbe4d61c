// The fixed samplers' kernels, over the sampler vocabulary of samplerTable.ts (SAMPLER_TABLE, the
// lists derived from it and the defaults), which this module re-exports.
import { hmcKernel } from './kernels/hmc.js';
import { checkPerStep, KernelError, type TransitionKernel } from './kernels/kernel.js';
import { malaKernel } from './kernels/mala.js';
import { ulaKernel } from './kernels/ula.js';
import {
  SAMPLER_DEFAULTS,
  SAMPLERS,
  type SamplerName,
  type SamplerSettings,
} from './samplerTable.js';

export * from './samplerTable.js';

const KERNELS: Record<SamplerName, (s: Required<SamplerSettings>) => TransitionKernel> = {
  'ais-ula': (s) => ulaKernel({ stepSize: s.stepSize }),
  'ais-hmc': (s) => hmcKernel({ stepSize: s.stepSize, leapfrogSteps: s.leapfrogSteps }),
  'ais-mala': (s) => malaKernel({ stepSize: s.stepSize }),
};

export function makeKernel(
  sampler: SamplerName,
  steps: number,
  settings: SamplerSettings = {},
): TransitionKernel {
  const make = KERNELS[sampler] as (typeof KERNELS)[SamplerName] | undefined;
  if (!make) {
    throw new KernelError(`unknown sampler '${sampler as string}'; valid: ${SAMPLERS.join(', ')}`);
  }
  const s = { ...SAMPLER_DEFAULTS[sampler], ...dropUndefined(settings) };
  checkPerStep(s.stepSize, steps, 'step size');
  return make(s);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Named samplers, the vocabulary shared by the library's high-level API and the command line.
import { hmcKernel } from './kernels/hmc.js';
import {
  checkPerStep,
  KernelError,
  type PerStep,
  type TransitionKernel,
} from './kernels/kernel.js';
import { ulaKernel } from './kernels/ula.js';

export const SAMPLERS = ['ais-ula', 'ais-hmc'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** SMC samplers of the command line: a kernel family plus resampling inside the chain. */
export const SMC_SAMPLERS = ['smc-ula', 'smc-uha', 'smc-hmc'] as const;
export type SmcSamplerName = (typeof SMC_SAMPLERS)[number];

export function isSmcSamplerName(name: string): name is SmcSamplerName {
  return (SMC_SAMPLERS as readonly string[]).includes(name);
}

export function isSamplerName(name: string): name is SamplerName {
  return (SAMPLERS as readonly string[]).includes(name);
}

export interface SamplerSettings {
  /** Step size (ULA delta or HMC leapfrog epsilon), constant or one per step. */
  stepSize?: PerStep;
  /** HMC leapfrog steps per transition. */
  leapfrogSteps?: number;
}

/** Defaults chosen to be stable on the built-in targets at unit scale. */
export const SAMPLER_DEFAULTS: Record<SamplerName, Required<SamplerSettings>> = {
  'ais-ula': { stepSize: 0.01, leapfrogSteps: 1 },
  'ais-hmc': { stepSize: 0.1, leapfrogSteps: 5 },
};

export function makeKernel(
  sampler: SamplerName,
  steps: number,
  settings: SamplerSettings = {},
): TransitionKernel {
  const s = { ...SAMPLER_DEFAULTS[sampler], ...dropUndefined(settings) };
  checkPerStep(s.stepSize, steps, 'step size');
  switch (sampler) {
    case 'ais-ula':
      return ulaKernel({ stepSize: s.stepSize });
    case 'ais-hmc':
      return hmcKernel({ stepSize: s.stepSize, leapfrogSteps: s.leapfrogSteps });
    default:
      throw new KernelError(
        `unknown sampler '${sampler as string}'; valid: ${SAMPLERS.join(', ')}`,
      );
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

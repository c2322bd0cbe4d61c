// The fast paths of each kernel kind, one line per kind: the only place a kernel's native code is
// registered (annealing/dispatch.ts looks kinds up here).
import type { KernelFastPaths } from './fastPath.js';
import { HMC_FAST_PATHS } from './hmc.native.js';
import { MALA_FAST_PATHS } from './mala.native.js';
import { UHA_FAST_PATHS } from './uha.native.js';
import { ULA_FAST_PATHS } from './ula.native.js';

export const FAST_PATHS: Readonly<Record<string, KernelFastPaths<never>>> = {
  ula: ULA_FAST_PATHS,
  hmc: HMC_FAST_PATHS,
  uha: UHA_FAST_PATHS,
  mala: MALA_FAST_PATHS,
};

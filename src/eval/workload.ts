// Work that cannot fit is refused before it starts: a run holds all its particles (and a few
// copies: positions, momenta, proposals, scores, log-densities) at once, and the wasm backend's
// heap is at most 4 GiB. Without this check such a run allocates for minutes and then fails inside
// the backend ("memory access out of bounds"), or a huge step count builds its schedule forever.
import { currentBackend } from '../engine/index.js';
import { builtin } from '../io/files.js';
import { MAX_STEPS } from '../annealing/schedule.js';

export { MAX_STEPS };

/**
 * Copies of the particle array a chain keeps alive at once, with room for the backend's temporaries
 * and the heap's fragmentation; test/workload.test.ts checks that AIS and SMC chains' peak tensor
 * bytes stay under it, with the native kernels and without.
 */
const LIVE_COPIES = 24;

const GIB = 1024 ** 3;
/** The wasm32 heap's ceiling. */
const WASM_HEAP = 4 * GIB;

/** Bytes a chain of `particles` in `dim` dimensions holds at once, roughly. */
export function chainBytes(particles: number, dim: number): number {
  return particles * (dim + 4) * 4 * LIVE_COPIES;
}

/** What one run may hold: the wasm heap on wasm, and never more than half the machine's memory. */
export function memoryLimit(): number {
  const os = builtin<{ totalmem(): number }>('node:os');
  const machine = os ? os.totalmem() / 2 : Infinity;
  return currentBackend() === 'wasm' ? Math.min(WASM_HEAP, machine) : machine;
}

/**
 * Throws a RangeError, in one line naming what to change, when a run of `particles` chains of
 * `steps` steps in `dim` dimensions cannot fit.
 */
export function checkWorkload(w: { particles: number; dim: number; steps: number }): void {
  if (w.steps > MAX_STEPS)
    throw new RangeError(
      `${w.steps} annealing steps is more than the ${MAX_STEPS.toLocaleString('en-US')} a run takes: lower the steps`,
    );
  const need = chainBytes(w.particles, w.dim);
  const limit = memoryLimit();
  if (need > limit)
    throw new RangeError(
      `${w.particles} particles in ${w.dim} dimensions need about ${(need / GIB).toFixed(1)} GiB at once, more than the ${(limit / GIB).toFixed(1)} GiB this run can use (${currentBackend()} backend): lower the particles, or share them over --workers`,
    );
}

// The memory bound that refuses work which cannot fit (src/eval/workload.ts) must cover what a
// chain really holds: the peak bytes of live tensors during a run, with the native kernels and
// without, stay under chainBytes for the same particles and dimension.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initEngine, tf } from '../src/engine/index.js';
import { createTarget } from '../src/targets/index.js';
import { estimateLogZ } from '../src/eval/estimateLogZ.js';
import { chainBytes } from '../src/eval/workload.js';

describe('the workload memory bound', () => {
  for (const native of [true, false]) {
    it(`covers the peak tensor bytes of AIS and SMC chains (wasm, native kernels ${native ? 'on' : 'off'})`, async () => {
      await initEngine({ backend: 'wasm', native });
      const particles = 4000;
      for (const [sampler, name, dim] of [
        ['ais-hmc', 'funnel', 10],
        ['ais-ula', 'funnel', 10],
        ['ais-hmc', 'many-well', 32],
        ['smc-hmc', 'many-well', 32],
      ] as const) {
        const target = createTarget(name, { dim });
        try {
          const profile = await tf.profile(() => {
            estimateLogZ({ target, sampler, steps: 8, particles, seed: 1 });
          });
          const unit = chainBytes(particles, dim);
          assert.ok(
            profile.peakBytes > 0 && profile.peakBytes <= unit,
            `${sampler} ${name}: peak ${profile.peakBytes} bytes > the bound ${unit}`,
          );
          // The bound is not vacuous: a chain holds at least its positions and log-weights.
          assert.ok(
            profile.peakBytes >= particles * (dim + 1) * 4,
            `${sampler} ${name}: peak ${profile.peakBytes}`,
          );
        } finally {
          target.dispose?.();
        }
      }
    });
  }
});

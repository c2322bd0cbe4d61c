// Ancestor indices of multinomial, stratified and systematic resampling as one native kernel
// (native/src/fused_ancestors.cc), returned as flat float indices ready for gatherRowsOfEach. It
// computes what the TF.js ops compute with the native kernels on (about twenty kernels, several
// of them slow broadcasts on wasm); no gradient passes through the choice of ancestors.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { nativeOpsAvailable, runNativeOp, type NativeOpSpec } from './nativeOp.js';
import { NATIVE_OP } from './nativeIds.js';

const ANCESTORS: NativeOpSpec = {
  name: 'AnnealAncestors',
  forward: NATIVE_OP.Ancestors,
  backward: -1,
  inputs: ['logW', 'u'],
  noGradient: ['logW', 'u'],
  outShapes: (s) => [[(s.logW as number[]).reduce((a, b) => a * b, 1)]],
};

/** The resampling schemes the native ancestor kernel draws. */
export type NativeAncestorScheme = 'multinomial' | 'stratified' | 'systematic';
const SCHEMES: Record<NativeAncestorScheme, number> = {
  multinomial: 0,
  stratified: 1,
  systematic: 2,
};

/** Whether fusedAncestors can run here for the scheme. */
export function fusedAncestorsAvailable(scheme: string): scheme is NativeAncestorScheme {
  return scheme in SCHEMES && nativeOpsAvailable();
}

/**
 * Flat ancestor indices b n + i (float32 [B n]) for log-weights [B, n] (constants) and uniforms
 * u: [B, n] for multinomial and stratified, [B, 1] for systematic.
 */
export function fusedAncestors(logW: Tensor2D, u: Tensor, scheme: NativeAncestorScheme): Tensor1D {
  const [b, n] = logW.shape;
  return tf.tidy(
    () =>
      runNativeOp(ANCESTORS, { logW, u: tf.reshape(u, [-1]) }, [b, n, SCHEMES[scheme]]) as Tensor1D,
  );
}

// One SMC resampling step on a whole particle state, for B systems of N particles each. Every
// field of the state (position, cached densities and scores, momentum) follows the chosen
// ancestors, so kernels need no re-evaluation. A system that resamples adds the log mean of its
// weights to its running log-normalizer and restarts from equal weights; the value
// logMeanExp(logW + logZ_acc) over a system is unchanged by resampling, which keeps the log Z
// estimate exact in expectation whatever the decision rule.
import {
  tf,
  logSumExpRows,
  stopGradient,
  type Rng,
  type Tensor,
  type Tensor1D,
  type Tensor2D,
  type Tensor3D,
} from '../engine/index.js';
import type { ParticleState } from './path.js';
import {
  GST_DEFAULT_TEMPERATURE,
  ancestorIndices,
  bernoulliDecision,
  flatIndices,
  gstSelection,
  type ResamplingOptions,
  type ResamplingScheme,
} from './resampling.js';

export interface ResampleResult {
  state: ParticleState;
  logW: Tensor1D;
  /** Running log-normalizer of each system [B]. */
  logZAcc: Tensor1D;
  /** Reverse ESS fraction of each system before resampling [B]. */
  essFraction: Tensor1D;
  /** 1 where a system resampled, 0 where it kept its particles [B]. */
  resampled: Tensor1D;
}

/** Systems up to this size move particles by a one-hot matmul, larger ones by a gather. */
const MATMUL_SELECTION_MAX = 128;

/** Reverse ESS fraction per row, differentiable (log-sum-exp with a constant shift). */
function rowEssFraction(logW: Tensor2D): Tensor1D {
  return tf.tidy(
    () =>
      tf.div(
        tf.exp(tf.sub(tf.mul(2, logSumExpRows(logW)), logSumExpRows(tf.mul(2, logW) as Tensor2D))),
        logW.shape[1],
      ) as Tensor1D,
  );
}

/**
 * The state's fields side by side as one [P, width] matrix, and how to split it back: one gather
 * (or selection matmul) moves everything, and on wasm each gather's gradient costs a one-hot
 * matmul, so one wide gather is far cheaper than six narrow ones.
 */
function packState(state: ParticleState): {
  packed: Tensor2D;
  unpack: (m: Tensor2D) => ParticleState;
} {
  const column = (t: Tensor) => tf.reshape(t, [-1, 1]);
  const parts: Tensor[] = [
    state.z,
    column(state.logTarget),
    state.scoreTarget,
    column(state.logInitial),
    state.scoreInitial,
  ];
  if (state.v) parts.push(state.v);
  const widths = parts.map((t) => t.shape[1] as number);
  const packed = tf.concat(parts, 1) as Tensor2D;
  const unpack = (m: Tensor2D): ParticleState => {
    const pieces = tf.split(m, widths, 1) as Tensor2D[];
    const [z, logTarget, scoreTarget, logInitial, scoreInitial, v] = pieces as [
      Tensor2D,
      Tensor2D,
      Tensor2D,
      Tensor2D,
      Tensor2D,
      Tensor2D | undefined,
    ];
    return {
      z,
      logTarget: tf.reshape(logTarget, [-1]) as Tensor1D,
      scoreTarget,
      logInitial: tf.reshape(logInitial, [-1]) as Tensor1D,
      scoreInitial,
      ...(v ? { v } : {}),
    };
  };

  return { packed, unpack };
}

/**
 * Resamples B = P / groupSize systems. The input state and tensors are left untouched; the result
 * is owned by the caller.
 */
export function resampleParticles(
  state: ParticleState,
  logW: Tensor1D,
  logZAcc: Tensor1D,
  options: ResamplingOptions,
  groupSize: number,
  rng: Rng,
): ResampleResult {
  return tf.tidy(() => {
    const n = groupSize;
    const total = logW.shape[0];
    const b = total / n;
    const lw = tf.reshape(logW, [b, n]) as Tensor2D;
    const scheme = options.scheme;
    const tau = options.temperature ?? GST_DEFAULT_TEMPERATURE;
    const straightThrough = scheme === 'gst' || scheme === 'bern-gst';
    const bernoulli = scheme === 'bern-cat' || scheme === 'bern-gst';
    const base: ResamplingScheme =
      scheme === 'systematic' || scheme === 'stratified' || scheme === 'residual'
        ? scheme
        : 'multinomial';
    const ess = rowEssFraction(bernoulli && straightThrough ? lw : stopGradient(lw));
    const lme = tf.sub(logSumExpRows(lw), Math.log(n)) as Tensor1D;

    // Which systems resample: hard 0/1 [B], plus a straight-through value for bern-gst; null = all.
    let hard: Tensor1D | null = null;
    let soft: Tensor1D | null = null;
    if (bernoulli) {
      const d = bernoulliDecision(tf.mul(ess, n) as Tensor1D, n, rng, straightThrough, tau);
      hard = d.hard;
      soft = straightThrough ? d.value : null;
    } else if (options.essThreshold !== undefined && options.essThreshold !== null) {
      hard = tf.cast(tf.less(stopGradient(ess), options.essThreshold), 'float32') as Tensor1D;
    }

    const ancestors = ancestorIndices(stopGradient(lw), base, rng);
    const { packed, unpack } = packState(state);
    let moved: Tensor2D;
    if (straightThrough) {
      const width = packed.shape[1];
      const selection = gstSelection(lw, ancestors, tau); // [B, N, N]
      const x3 = tf.reshape(packed, [b, n, width]) as Tensor3D;
      let picked: Tensor = tf.matMul(selection, x3);
      if (soft) {
        const r = tf.reshape(soft, [b, 1, 1]);
        picked = tf.add(tf.mul(r, picked), tf.mul(tf.sub(1, r), x3));
      } else if (hard) {
        picked = tf.where(tf.greater(tf.reshape(hard, [b, 1, 1]), 0), picked, x3);
      }
      moved = tf.reshape(picked, [total, width]) as Tensor2D;
    } else {
      const chosen = (
        hard
          ? tf.where(
              tf.greater(tf.reshape(hard, [b, 1]), 0),
              ancestors,
              tf.tile(tf.range(0, n, 1, 'int32').reshape([1, n]), [b, 1]),
            )
          : ancestors
      ) as Tensor2D;
      if (n <= MATMUL_SELECTION_MAX) {
        // Small systems: a batched one-hot matmul, whose gradient costs B N^2 per column, where a
        // gather's gradient on wasm is a one-hot matmul over all B N particles (B^2 N^2).
        const width = packed.shape[1];
        const selection = tf.cast(tf.oneHot(chosen, n), 'float32') as Tensor3D;
        const picked = tf.matMul(selection, tf.reshape(packed, [b, n, width]) as Tensor3D);
        moved = tf.reshape(picked, [total, width]) as Tensor2D;
      } else {
        moved = tf.gather(packed, flatIndices(chosen)) as Tensor2D;
      }
    }
    const next = unpack(moved);

    const resampled = hard ?? (tf.ones([b]) as Tensor1D);
    const on = tf.greater(resampled, 0);
    const newLogW = hard
      ? tf.where(tf.reshape(on, [b, 1]), tf.zerosLike(lw), lw).reshape([total])
      : tf.zeros([total]);
    // where() rather than a product: a system of all-zero weights has lme = -Infinity.
    const newAcc = tf.add(logZAcc, hard ? tf.where(on, lme, tf.zerosLike(lme)) : lme);
    return {
      state: next,
      logW: newLogW as Tensor1D,
      logZAcc: newAcc as Tensor1D,
      essFraction: stopGradient(ess),
      resampled: resampled.clone(),
    };
  });
}

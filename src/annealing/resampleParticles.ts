// One SMC resampling step on a whole particle state, for B systems of N particles each. Every
// field of the state (position, cached densities and scores, momentum) follows the chosen
// ancestors, so kernels need no re-evaluation. A system that resamples adds the log mean of its
// weights to its running log-normalizer and restarts from equal weights; the value
// logMeanExp(logW + logZ_acc) over a system is unchanged by resampling, which keeps the log Z
// estimate exact in expectation whatever the decision rule.
import {
  tf,
  logSumExpRows,
  gatherRowsOfEach,
  fusedAncestors,
  fusedAncestorsAvailable,
  type NativeAncestorScheme,
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

/** The fields a resampling step moves: all of them, or positions and momenta only. */
function movedFields(state: ParticleState, motionOnly: boolean): [keyof ParticleState, Tensor][] {
  const out: [keyof ParticleState, Tensor][] = [['z', state.z]];
  if (!motionOnly) {
    out.push(
      ['logTarget', state.logTarget],
      ['scoreTarget', state.scoreTarget],
      ['logInitial', state.logInitial],
      ['scoreInitial', state.scoreInitial],
    );
  }
  if (state.v) out.push(['v', state.v]);
  return out;
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
  evaluate?: (z: Tensor2D) => ParticleState,
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

    // Where every system resamples by index, the native kernels draw the ancestors as flat
    // indices in one kernel (the same draws and the same indices as the ops below).
    const direct = !straightThrough && !hard && fusedAncestorsAvailable(base);
    const ancestors = direct ? null : ancestorIndices(stopGradient(lw), base, rng);
    // The straight-through estimator moves positions and momenta only, and the densities and
    // scores are evaluated afresh at the moved positions (as in the paper): its gradient then
    // reaches the weights through the target's local slope, not through differences of cached
    // log densities between distant particles. Index-based moves carry the cached fields along,
    // which has the same value and the same gradient as re-evaluating.
    const reevaluate = straightThrough && evaluate !== undefined;
    const fields = movedFields(state, reevaluate);
    // Each field moves by itself: on wasm, packing fields side by side costs more (column slices
    // of the packed matrix) than the moves.
    let move: (x: Tensor) => Tensor;
    if (straightThrough) {
      const selection = gstSelection(lw, ancestors as Tensor2D, tau); // [B, N, N]
      const r = soft ? tf.reshape(soft, [b, 1, 1]) : null;
      const keep = !soft && hard ? tf.greater(tf.reshape(hard, [b, 1, 1]), 0) : null;
      move = (x) => {
        const x3 = tf.reshape(x, [b, n, x.rank === 1 ? 1 : (x.shape[1] as number)]) as Tensor3D;
        let picked: Tensor = tf.matMul(selection, x3);
        if (r) picked = tf.add(x3, tf.mul(r, tf.sub(picked, x3)));
        else if (keep) picked = tf.where(keep, picked, x3);
        return tf.reshape(picked, x.shape);
      };
    } else {
      let flat: Tensor;
      if (direct) {
        const u = base === 'systematic' ? rng.uniform([b, 1]) : rng.uniform([b, n]);
        flat = fusedAncestors(stopGradient(lw), u, base as NativeAncestorScheme);
      } else {
        const chosen = (
          hard
            ? tf.where(
                tf.greater(tf.reshape(hard, [b, 1]), 0),
                ancestors as Tensor2D,
                tf.tile(tf.range(0, n, 1, 'int32').reshape([1, n]), [b, 1]),
              )
            : ancestors
        ) as Tensor2D;
        flat = flatIndices(chosen);
      }
      // Every field by the same rows: one kernel where the native kernels run.
      const picked = gatherRowsOfEach(
        fields.map(([, x]) => x),
        flat,
      );
      move = (x) => picked[fields.findIndex(([, f]) => f === x)] as Tensor;
    }
    const moved: Partial<ParticleState> = {};
    for (const [name, x] of fields) (moved as Record<string, Tensor>)[name] = move(x);
    const next: ParticleState = reevaluate
      ? {
          ...(evaluate as (z: Tensor2D) => ParticleState)(moved.z as Tensor2D),
          ...(moved.v ? { v: moved.v } : {}),
        }
      : (moved as ParticleState);

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

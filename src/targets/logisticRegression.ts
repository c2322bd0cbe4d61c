// Bayesian logistic regression posteriors (unnormalized; log Z unknown):
//   log gamma(w) = log N(w; 0, I) + sum_i [y_i x_i.w - softplus(x_i.w)],
// with the normalized prior (-d/2 log 2 pi included) and Bernoulli-logit likelihood, so that
// log Z is the model's log marginal likelihood. Preprocessing (docs/targets.md): each
// feature column standardized over all rows with the population std (ddof 0; a column with std
// 0 gets std 1, so a constant column becomes zeros and is kept), then an intercept column of 1s
// prepended, not standardized.
//
// The design matrix is held as two constants, X [n, d] and X^T [d, n], so both the logits
// w @ X^T and the score (y - sigmoid(logits)) @ X - w are plain matMuls (no transpose flags, which
// are slow on wasm).
//
// The UCI data sets ship as data/uci/*.csv (see data/uci/README.md), found relative to this
// module: src/targets/ and dist/targets/ are both two levels below the package root.
import { tf, type Tensor, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { DataError, describePath, readNumericCsv, type NumericTable } from '../io/csv.js';
import { checkParticles, TargetError, type Target } from './target.js';
import { LOG_2PI, cholesky, keptConstant, solveCholesky } from './common.js';

export interface LogisticRegressionOptions {
  /** n rows of p raw features (standardized here unless preprocess is false). */
  features: ArrayLike<ArrayLike<number>>;
  /** n labels in {0, 1}. */
  labels: ArrayLike<number>;
  /**
   * true (default): standardize the columns and prepend an intercept, so dim = p + 1;
   * false: the rows are the design matrix as given, dim = p.
   */
  preprocess?: boolean;
  /** Target name (default 'logistic-regression'). */
  name?: string;
}

/**
 * Standardizes each column over all rows (mean 0, population std 1; std 0 -> 1) and prepends an
 * intercept column of 1s: n x p -> n x (p + 1), row-major, float64.
 */
export function standardizeWithIntercept(features: ArrayLike<ArrayLike<number>>): {
  design: Float64Array;
  numRows: number;
  dim: number;
} {
  const n = features.length;
  const p = n > 0 ? (features[0] as ArrayLike<number>).length : 0;
  const d = p + 1;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const row = features[i] as ArrayLike<number>;
    for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  }
  for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) / n;
  // Two-pass variance, ddof 0.
  const variance = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const row = features[i] as ArrayLike<number>;
    for (let j = 0; j < p; j++) {
      const r = (row[j] as number) - (mean[j] as number);
      variance[j] = (variance[j] as number) + r * r;
    }
  }
  const std = variance.map((v) => {
    const s = Math.sqrt(v / n);
    return s > 0 ? s : 1;
  });
  const design = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = features[i] as ArrayLike<number>;
    design[i * d] = 1;
    for (let j = 0; j < p; j++) {
      design[i * d + j + 1] = ((row[j] as number) - (mean[j] as number)) / (std[j] as number);
    }
  }
  return { design, numRows: n, dim: d };
}

export class LogisticRegressionTarget implements Target {
  readonly name: string;
  readonly dim: number;
  readonly numData: number;
  /** Host copies in float64: the design matrix [n*d] row-major (after preprocessing), labels [n]. */
  readonly design: Float64Array;
  readonly labels: Float64Array;
  private readonly xT: Tensor; // [n, d]
  private readonly xTransposedT: Tensor; // [d, n]
  private readonly labelsT: Tensor; // [1, n]
  private readonly logPriorConst: number; // -d/2 log 2 pi

  constructor(options: LogisticRegressionOptions) {
    const name = options.name ?? 'logistic-regression';
    this.name = name;
    const rows = options.features;
    const n = rows?.length ?? 0;
    if (n < 1) throw new TargetError(`target '${name}': need at least one data row`);
    const p = (rows[0] as ArrayLike<number>).length;
    for (let i = 0; i < n; i++) {
      const row = rows[i] as ArrayLike<number>;
      if (row.length !== p) {
        throw new TargetError(
          `target '${name}': row ${i} has ${row.length} features, expected ${p}`,
        );
      }
      for (let j = 0; j < p; j++) {
        if (!Number.isFinite(row[j])) {
          throw new TargetError(`target '${name}': feature ${j} of row ${i} is not finite`);
        }
      }
    }
    if (options.labels.length !== n) {
      throw new TargetError(`target '${name}': ${options.labels.length} labels for ${n} rows`);
    }
    this.labels = Float64Array.from(options.labels);
    this.labels.forEach((y, i) => {
      if (y !== 0 && y !== 1) {
        throw new TargetError(`target '${name}': label ${i} is ${y}; labels must be 0 or 1`);
      }
    });

    if (options.preprocess ?? true) {
      const pre = standardizeWithIntercept(rows);
      this.design = pre.design;
      this.dim = pre.dim;
    } else {
      if (p < 1) throw new TargetError(`target '${name}': the design matrix has no columns`);
      this.dim = p;
      this.design = new Float64Array(n * p);
      for (let i = 0; i < n; i++) this.design.set(rows[i] as ArrayLike<number>, i * p);
    }
    this.numData = n;
    const d = this.dim;
    const transposed = new Float64Array(d * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) transposed[j * n + i] = this.design[i * d + j] as number;
    }
    this.xT = keptConstant(this.design, [n, d]);
    this.xTransposedT = keptConstant(transposed, [d, n]);
    this.labelsT = keptConstant(this.labels, [1, n]);
    this.logPriorConst = -0.5 * d * LOG_2PI;
  }

  logProb(w: Tensor2D): Tensor1D {
    checkParticles(this, w);
    return tf.tidy(() => {
      const logits = tf.matMul(w, this.xTransposedT as Tensor2D); // [N, n]
      const logLik = tf.sum(tf.sub(tf.mul(this.labelsT, logits), tf.softplus(logits)), -1);
      const logPrior = tf.add(tf.mul(-0.5, tf.sum(tf.square(w), -1)), this.logPriorConst);
      return tf.add(logLik, logPrior) as Tensor1D;
    });
  }

  score(w: Tensor2D): Tensor2D {
    checkParticles(this, w);
    return tf.tidy(() => {
      const logits = tf.matMul(w, this.xTransposedT as Tensor2D); // [N, n]
      const residual = tf.sub(this.labelsT, tf.sigmoid(logits)) as Tensor2D;
      return tf.sub(tf.matMul(residual, this.xT as Tensor2D), w) as Tensor2D;
    });
  }

  /**
   * The Laplace approximation N(mode, hessian^-1) of the posterior, found by Newton's method in
   * float64 on the host (the log posterior is strictly concave, so Newton from 0 converges), with
   * its log Z estimate log gamma(mode) + d/2 log 2 pi - 1/2 log det hessian. A good starting
   * distribution (or whitening) for samplers, and a first check of their log Z.
   */
  laplace(): LaplaceApproximation {
    const d = this.dim;
    const n = this.numData;
    const x = this.design;
    const mode = new Float64Array(d);
    let hessian = new Float64Array(d * d);
    for (let iteration = 0; iteration < 100; iteration++) {
      const gradient = Float64Array.from(mode, (m) => -m);
      hessian = new Float64Array(d * d);
      for (let j = 0; j < d; j++) hessian[j * d + j] = 1;
      for (let i = 0; i < n; i++) {
        let logit = 0;
        for (let j = 0; j < d; j++) logit += (x[i * d + j] as number) * (mode[j] as number);
        const p = 1 / (1 + Math.exp(-logit));
        const r = (this.labels[i] as number) - p;
        const c = p * (1 - p);
        for (let j = 0; j < d; j++) {
          const xij = x[i * d + j] as number;
          gradient[j] = (gradient[j] as number) + r * xij;
          for (let k = 0; k <= j; k++)
            hessian[j * d + k] =
              (hessian[j * d + k] as number) + c * xij * (x[i * d + k] as number);
        }
      }
      for (let j = 0; j < d; j++)
        for (let k = 0; k < j; k++) hessian[k * d + j] = hessian[j * d + k] as number;
      const chol = cholesky(hessian, d);
      if ('failedRow' in chol)
        throw new TargetError(`target '${this.name}': Laplace: Hessian not positive definite`);
      const step = solveCholesky(chol.L, gradient, d);
      let size = 0;
      for (let j = 0; j < d; j++) {
        mode[j] = (mode[j] as number) + (step[j] as number);
        size = Math.max(size, Math.abs(step[j] as number));
      }
      if (size < 1e-12) break;
    }
    const chol = cholesky(hessian, d);
    if ('failedRow' in chol)
      throw new TargetError(`target '${this.name}': Laplace: Hessian not positive definite`);
    let logDet = 0;
    for (let j = 0; j < d; j++) logDet += 2 * Math.log(chol.L[j * d + j] as number);
    return {
      mode,
      hessian,
      logZ: this.hostLogProb(mode) + 0.5 * d * LOG_2PI - 0.5 * logDet,
    };
  }

  /** log gamma(w) of one weight vector in float64 on the host. */
  hostLogProb(w: ArrayLike<number>): number {
    const d = this.dim;
    let total = this.logPriorConst;
    for (let j = 0; j < d; j++) total -= 0.5 * (w[j] as number) ** 2;
    for (let i = 0; i < this.numData; i++) {
      let logit = 0;
      for (let j = 0; j < d; j++) logit += (this.design[i * d + j] as number) * (w[j] as number);
      // y * logit - softplus(logit), written to stay finite for large |logit|.
      const softplus =
        logit > 0 ? logit + Math.log1p(Math.exp(-logit)) : Math.log1p(Math.exp(logit));
      total += (this.labels[i] as number) * logit - softplus;
    }
    return total;
  }

  dispose(): void {
    this.xT.dispose();
    this.xTransposedT.dispose();
    this.labelsT.dispose();
  }
}

/** A Gaussian approximation at the posterior mode (float64, row-major hessian [d*d]). */
export interface LaplaceApproximation {
  mode: Float64Array;
  /** Negative Hessian of the log posterior at the mode: the approximation's precision. */
  hessian: Float64Array;
  /** The Laplace estimate of log Z. */
  logZ: number;
}

/** A Bayesian logistic regression posterior with prior N(0, I). */
export function logisticRegressionTarget(
  options: LogisticRegressionOptions,
): LogisticRegressionTarget {
  return new LogisticRegressionTarget(options);
}

// ---- the shipped UCI data sets ----

export type UciDatasetName = 'sonar' | 'ionosphere' | 'german-credit' | 'breast-cancer';

export interface UciDatasetInfo {
  readonly file: string;
  readonly numRows: number;
  /** Raw feature columns (the CSV has these plus a final 0/1 label column). */
  readonly numFeatures: number;
  readonly description: string;
}

export const UCI_DATASETS: Readonly<Record<UciDatasetName, UciDatasetInfo>> = {
  sonar: {
    file: 'sonar.csv',
    numRows: 208,
    numFeatures: 60,
    description: 'sonar returns, mine (1) vs rock (0)',
  },
  ionosphere: {
    file: 'ionosphere.csv',
    numRows: 351,
    numFeatures: 34,
    description: 'radar returns, good (1) vs bad (0)',
  },
  'german-credit': {
    file: 'german-credit.csv',
    numRows: 1000,
    numFeatures: 24,
    description: 'Statlog German credit (numeric), bad (1) vs good (0) risk',
  },
  'breast-cancer': {
    file: 'breast-cancer.csv',
    numRows: 569,
    numFeatures: 30,
    description: 'Wisconsin diagnostic breast cancer, malignant (1) vs benign (0)',
  },
};

export function isUciDatasetName(name: string): name is UciDatasetName {
  return Object.prototype.hasOwnProperty.call(UCI_DATASETS, name);
}

/** Where a shipped data set lives: data/uci/<file> at the package root. */
export function uciDataUrl(name: UciDatasetName): URL {
  // The base goes through a variable on purpose: bundlers rewrite `new URL(literal,
  // import.meta.url)` into emitted assets, and a browser build has no use for these files.
  const here = import.meta.url;
  return new URL(`../../data/uci/${UCI_DATASETS[name].file}`, here);
}

/** Splits a table whose last column is a 0/1 label into feature rows and labels. */
export function splitLabelColumn(
  table: NumericTable,
  name: string,
): { features: Float64Array[]; labels: Float64Array } {
  const c = table.numColumns;
  if (c < 2) {
    throw new TargetError(
      `target '${name}': ${table.source} needs at least one feature column and a label column`,
    );
  }
  const features: Float64Array[] = [];
  const labels = new Float64Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    features.push(table.values.slice(i * c, (i + 1) * c - 1));
    const y = table.values[(i + 1) * c - 1] as number;
    if (y !== 0 && y !== 1) {
      throw new TargetError(
        `target '${name}': ${table.source}: line ${i + 2}: label (last column) must be 0 or 1, got ${y}`,
      );
    }
    labels[i] = y;
  }
  return { features, labels };
}

export interface UciLogisticOptions {
  /** A CSV with the same columns as the shipped file (header, features, 0/1 label last). */
  dataPath?: string;
}

/**
 * The posterior of a Bayesian logistic regression on a shipped UCI data set (or on a user copy
 * of it at dataPath), preprocessed as described above: dim = features + 1.
 */
export function uciLogisticTarget(
  name: UciDatasetName,
  options: UciLogisticOptions = {},
): LogisticRegressionTarget {
  const info = UCI_DATASETS[name];
  if (!info) {
    throw new TargetError(
      `unknown UCI data set '${name as string}'; valid: ${Object.keys(UCI_DATASETS).join(', ')}`,
    );
  }
  const path = options.dataPath ?? uciDataUrl(name);
  if (typeof path === 'string' && path.trim() === '') {
    throw new TargetError(`target '${name}': dataPath must be a non-empty path`);
  }
  let table: NumericTable;
  try {
    table = readNumericCsv(path);
  } catch (error) {
    if (error instanceof DataError) throw new TargetError(`target '${name}': ${error.message}`);
    throw error;
  }
  if (table.numColumns !== info.numFeatures + 1) {
    throw new TargetError(
      `target '${name}': ${describePath(path)} has ${table.numColumns} columns, expected ${info.numFeatures + 1} (${info.numFeatures} features, then the 0/1 label)`,
    );
  }
  const { features, labels } = splitLabelColumn(table, name);
  return new LogisticRegressionTarget({ features, labels, name });
}

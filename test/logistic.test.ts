// Bayesian logistic regression targets on the shipped UCI tables, and the CSV reader.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertScoreGradient } from './helpers/secondOrder.js';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Rng,
  initEngine,
  liveTensorCount,
  tf,
  type BackendName,
  type Tensor,
  type Tensor2D,
} from '../src/engine/index.js';
import { DataError, parseNumericCsv, readNumericCsv } from '../src/data/index.js';
import {
  LogisticRegressionTarget,
  TargetError,
  UCI_DATASETS,
  createTarget,
  getTargetSpec,
  listTargets,
  logisticRegressionTarget,
  uciDataUrl,
  uciLogisticTarget,
  type UciDatasetName,
} from '../src/targets/index.js';
import {
  LOG_2PI,
  assertAllClose,
  centralDiffGrad,
  invertWithLogDet,
  softplus,
} from './helpers/targetHostMath.js';

const BACKENDS = (process.env.ANNEAL_TEST_BACKENDS ?? 'cpu,wasm').split(',') as BackendName[];
const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA_DIR = join(REPO, 'data', 'uci');

// Expected shapes of the shipped files: rows, columns (features + label), label counts.
const SHIPPED: Record<UciDatasetName, { rows: number; columns: number; ones: number }> = {
  sonar: { rows: 208, columns: 61, ones: 111 }, // 111 mines, 97 rocks
  ionosphere: { rows: 351, columns: 35, ones: 225 }, // 225 good, 126 bad
  'german-credit': { rows: 1000, columns: 25, ones: 300 }, // 300 bad, 700 good
  'breast-cancer': { rows: 569, columns: 31, ones: 212 }, // 212 malignant, 357 benign
};
const NAMES = Object.keys(SHIPPED) as UciDatasetName[];

// ---- independent float64 references: plain text parsing, standardization and likelihood ----

interface HostData {
  design: number[][]; // n x d, intercept first
  labels: number[];
}

function hostLoad(name: UciDatasetName): HostData {
  const text = readFileSync(join(DATA_DIR, UCI_DATASETS[name].file), 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const p = rows[0]!.length - 1;
  const n = rows.length;
  const design = rows.map(() => [1]);
  for (let j = 0; j < p; j++) {
    const col = rows.map((r) => r[j]!);
    const mean = col.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    for (let i = 0; i < n; i++) design[i]!.push((col[i]! - mean) / (sd === 0 ? 1 : sd));
  }
  return { design, labels: rows.map((r) => r[p]!) };
}

function hostLogPosterior(data: HostData, w: readonly number[]): number {
  let s = -0.5 * w.length * LOG_2PI;
  for (const wj of w) s -= 0.5 * wj * wj;
  data.design.forEach((x, i) => {
    let eta = 0;
    for (let j = 0; j < w.length; j++) eta += x[j]! * w[j]!;
    s += data.labels[i]! * eta - softplus(eta);
  });
  return s;
}

/** The gradient and, per coordinate, the sum of absolute terms (the scale of float32 error). */
function hostScore(data: HostData, w: readonly number[]): { grad: number[]; scale: number[] } {
  const grad = w.map((wj) => -wj);
  const scale = w.map((wj) => Math.abs(wj));
  data.design.forEach((x, i) => {
    let eta = 0;
    for (let j = 0; j < w.length; j++) eta += x[j]! * w[j]!;
    const r = data.labels[i]! - 1 / (1 + Math.exp(-eta));
    for (let j = 0; j < w.length; j++) {
      grad[j]! += r * x[j]!;
      scale[j]! += Math.abs(r * x[j]!);
    }
  });
  return { grad, scale };
}

function randomWeights(rng: Rng, n: number, d: number, scale: number): number[][] {
  const e = rng.normalArray(n * d);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, j) => Math.fround(scale * e[i * d + j]!)),
  );
}

describe('shipped UCI tables (data/uci)', () => {
  for (const name of NAMES) {
    it(`${name}: rows, columns, header and 0/1 labels`, () => {
      const table = readNumericCsv(uciDataUrl(name));
      const expected = SHIPPED[name];
      assert.equal(table.numRows, expected.rows);
      assert.equal(table.numColumns, expected.columns);
      assert.equal(table.columns.length, expected.columns);
      assert.equal(table.columns[table.columns.length - 1], 'label');
      assert.equal(UCI_DATASETS[name].numRows, expected.rows);
      assert.equal(UCI_DATASETS[name].numFeatures + 1, expected.columns);
      let ones = 0;
      for (let i = 0; i < table.numRows; i++) {
        const y = table.values[(i + 1) * table.numColumns - 1]!;
        assert.ok(y === 0 || y === 1, `row ${i}: label ${y}`);
        ones += y;
      }
      assert.equal(ones, expected.ones, 'label counts');
      assert.ok(table.source.endsWith(join('data', 'uci', UCI_DATASETS[name].file)));
      assert.equal(fileURLToPath(uciDataUrl(name)), join(DATA_DIR, UCI_DATASETS[name].file));
    });
  }

  it('the data directory resolves the same way from dist/targets (two levels below the root)', async (t) => {
    const distModule = join(REPO, 'dist', 'targets', 'logisticRegression.js');
    if (!existsSync(distModule)) {
      t.skip('no build in dist/ (npm run build)');
      return;
    }
    const mod = (await import(pathToFileURL(distModule).href)) as {
      uciDataUrl?: (name: string) => URL;
    };
    if (!mod.uciDataUrl) {
      t.skip('dist/ is older than this module');
      return;
    }
    assert.equal(fileURLToPath(mod.uciDataUrl('sonar')), join(DATA_DIR, 'sonar.csv'));
  });
});

describe('CSV reader', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'anneal-csv-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (file: string, text: string) => {
    const path = join(dir, file);
    writeFileSync(path, text);
    return path;
  };
  const rejects = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(
      fn,
      (e: unknown) =>
        e instanceof DataError && pattern.test(e.message) && !e.message.includes('\n'),
    );

  it('parses header and numbers (CRLF, signs, exponents, trailing newline)', () => {
    const t = parseNumericCsv('a, b ,c\r\n1,-2.5,3e2\r\n.5,+0,-1.25E-3\r\n\r\n', 'mem');
    assert.deepEqual(t.columns, ['a', 'b', 'c']);
    assert.equal(t.numRows, 2);
    assert.equal(t.numColumns, 3);
    assert.deepEqual(Array.from(t.values), [1, -2.5, 300, 0.5, 0, -0.00125]);
  });

  it('errors name the file, the line and the problem', () => {
    const missing = join(dir, 'nope.csv');
    rejects(() => readNumericCsv(missing), new RegExp(`data file not found: '${escape(missing)}'`));
    rejects(() => readNumericCsv(dir), /is a directory/);
    const badNumber = write('bad.csv', 'x,y\n1,2\n3,abc\n');
    rejects(
      () => readNumericCsv(badNumber),
      new RegExp(`^${escape(badNumber)}: line 3, column 2 \\(y\\): "abc" is not a number$`),
    );
    const ragged = write('ragged.csv', 'x,y,z\n1,2,3\n4,5\n');
    rejects(
      () => readNumericCsv(ragged),
      new RegExp(`^${escape(ragged)}: line 3: expected 3 fields, got 2$`),
    );
    rejects(() => parseNumericCsv('', 'e.csv'), /^e\.csv: empty file/);
    rejects(() => parseNumericCsv('a,b\n', 'h.csv'), /^h\.csv: no data rows/);
    rejects(() => parseNumericCsv('a,b\n1,2\n\n3,4\n', 'g.csv'), /^g\.csv: line 3: empty line/);
    rejects(() => parseNumericCsv('1,2\n3,4\n', 'n.csv'), /line 1: expected a header/);
    rejects(() => parseNumericCsv('a,,c\n1,2,3\n', 'c.csv'), /line 1: column 2 has an empty name/);
    for (const field of ['NaN', 'Infinity', '', '0x10', '1,5', '1 2', '--1', '1e']) {
      rejects(() => parseNumericCsv(`a,b\n1,${field}\n`, 'f.csv'), /^f\.csv: line 2/);
    }
    rejects(() => parseNumericCsv('a\n1e999\n', 'o.csv'), /overflows/);
  });

  it('the targets turn data errors into one-line TargetErrors', () => {
    const bad = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(
        fn,
        (e: unknown) =>
          e instanceof TargetError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    const missing = join(dir, 'missing.csv');
    bad(
      () => createTarget('sonar', { dataPath: missing }),
      new RegExp(`target 'sonar': data file not found: '${escape(missing)}'`),
    );
    const header = ['a', 'b', 'label'].join(',');
    const wrongWidth = write('w.csv', `${header}\n1,2,0\n`);
    bad(() => createTarget('sonar', { dataPath: wrongWidth }), /has 3 columns, expected 61/);
    const cols = Array.from({ length: 24 }, (_, j) => `f${j}`).join(',');
    const row = (y: number) => `${Array.from({ length: 24 }, (_, j) => j).join(',')},${y}`;
    const badLabel = write('l.csv', `${cols},label\n${row(1)}\n${row(2)}\n`);
    bad(
      () => createTarget('german-credit', { dataPath: badLabel }),
      /line 3: label \(last column\) must be 0 or 1, got 2/,
    );
    const ragged = write('r.csv', `${cols},label\n${row(1)}\n1,2\n`);
    bad(() => createTarget('german-credit', { dataPath: ragged }), /line 3: expected 25 fields/);
    bad(() => createTarget('sonar', { dataPath: ' ' }), /dataPath must be a non-empty path/);
    bad(
      () => createTarget('sonar', { dataPath: 3 as unknown as string }),
      /dataPath must be a string/,
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

for (const backend of BACKENDS) {
  describe(`logistic regression targets on ${backend}`, () => {
    before(async () => {
      await initEngine({ backend });
    });

    for (const name of NAMES) {
      it(`${name}: preprocessing, logProb and score against float64 references`, () => {
        const startCount = liveTensorCount();
        const target = createTarget(name) as LogisticRegressionTarget;
        const host = hostLoad(name);
        const n = SHIPPED[name].rows;
        const d = SHIPPED[name].columns;
        assert.equal(target.dim, d, 'dim = features + intercept');
        assert.equal(target.numData, n);
        assert.ok(!('logZ' in target), 'log Z unknown');

        // Preprocessing: intercept column of 1s; every other column mean 0 and population std 1,
        // except a constant column, which becomes zeros.
        const constantColumns: number[] = [];
        for (let j = 0; j < d; j++) {
          let mean = 0;
          for (let i = 0; i < n; i++) mean += target.design[i * d + j]! / n;
          let variance = 0;
          for (let i = 0; i < n; i++) variance += (target.design[i * d + j]! - mean) ** 2 / n;
          if (j === 0) {
            for (let i = 0; i < n; i++) assert.equal(target.design[i * d]!, 1, 'intercept');
            continue;
          }
          assert.ok(Math.abs(mean) < 1e-12, `column ${j}: mean ${mean}`);
          if (variance === 0) {
            constantColumns.push(j);
            for (let i = 0; i < n; i++) assert.equal(target.design[i * d + j], 0);
          } else {
            assert.ok(Math.abs(variance - 1) < 1e-12, `column ${j}: variance ${variance}`);
          }
          for (let i = 0; i < n; i++) {
            assert.ok(Math.abs(target.design[i * d + j]! - host.design[i]![j]!) < 1e-12);
          }
        }
        // Ionosphere's second feature (design column 2) is constant 0 in the raw data.
        assert.deepEqual(constantColumns, name === 'ionosphere' ? [2] : []);
        assert.deepEqual(Array.from(target.labels), host.labels);

        const baseline = liveTensorCount();
        // Moderate weights, and large ones whose logits reach the hundreds (softplus overflow).
        const rng = Rng.fromSeed(NAMES.indexOf(name) + 10);
        const pts = [...randomWeights(rng, 6, d, 0.3), ...randomWeights(rng, 3, d, 4)];
        const w = tf.tensor2d(pts.flat(), [pts.length, d]) as Tensor2D;
        const lp = target.logProb(w);
        assert.deepEqual(lp.shape, [pts.length]);
        const lpVals = lp.dataSync();
        pts.forEach((p, i) => {
          const expected = hostLogPosterior(host, p);
          assert.ok(
            Math.abs(lpVals[i]! - expected) <= 2e-6 * Math.abs(expected) + 1e-3,
            `${name} logProb[${i}] = ${lpVals[i]}, expected ${expected}`,
          );
        });

        const sc = target.score(w);
        assert.deepEqual(sc.shape, [pts.length, d]);
        const scVals = sc.dataSync();
        pts.forEach((p, i) => {
          const { grad, scale } = hostScore(host, p);
          for (let j = 0; j < d; j++) {
            const got = scVals[i * d + j]!;
            assert.ok(
              Math.abs(got - grad[j]!) <= 1e-5 * scale[j]! + 1e-5,
              `${name} score[${i}, ${j}] = ${got}, expected ${grad[j]} (scale ${scale[j]})`,
            );
          }
        });
        // The host gradient itself against finite differences of the host log density.
        for (const i of [0, 3]) {
          const { grad } = hostScore(host, pts[i]!);
          for (const j of [0, 1, d - 1]) {
            const up = [...pts[i]!];
            const down = [...pts[i]!];
            up[j]! += 1e-5;
            down[j]! -= 1e-5;
            const fd = (hostLogPosterior(host, up) - hostLogPosterior(host, down)) / 2e-5;
            assert.ok(
              Math.abs(fd - grad[j]!) <= 1e-5 * Math.max(1, Math.abs(fd)),
              `finite difference ${fd} vs ${grad[j]}`,
            );
            const got = scVals[i * d + j]!;
            assert.ok(
              Math.abs(got - fd) <= 1e-3 * Math.max(1, Math.abs(fd)),
              `${name} score[${i}, ${j}] = ${got}, finite difference ${fd}`,
            );
          }
        }

        // Autodiff of logProb agrees with the closed-form score; the score is differentiable.
        const auto = tf.grad((x: Tensor) => tf.sum(target.logProb(x as Tensor2D)))(w);
        const autoVals = auto.dataSync();
        let maxScale = 1;
        for (const v of scVals) maxScale = Math.max(maxScale, Math.abs(v));
        for (let k = 0; k < autoVals.length; k++) {
          assert.ok(
            Math.abs(autoVals[k]! - scVals[k]!) <= 1e-4 * maxScale,
            `${name} autodiff[${k}] = ${autoVals[k]}, score ${scVals[k]}`,
          );
        }
        assertScoreGradient(target, w, (p) => hostScore(host, p).grad, target.name);

        tf.dispose([w, lp, sc, auto]);
        assert.equal(liveTensorCount(), baseline, `${name}: calls leaked tensors`);
        target.dispose();
        assert.equal(liveTensorCount(), startCount, `${name}: dispose() left tensors`);
      });
    }

    it('a user copy at dataPath gives the same target as the shipped file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'anneal-uci-'));
      try {
        const copy = join(dir, 'my-sonar.csv');
        copyFileSync(join(DATA_DIR, 'sonar.csv'), copy);
        const a = createTarget('sonar');
        const b = createTarget('sonar', { dataPath: copy });
        const w = tf.tensor2d(randomWeights(Rng.fromSeed(1), 4, 61, 0.5).flat(), [4, 61]);
        const la = a.logProb(w);
        const lb = b.logProb(w);
        assert.deepEqual(Array.from(la.dataSync()), Array.from(lb.dataSync()));
        tf.dispose([w, la, lb]);
        a.dispose?.();
        b.dispose?.();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the generic target: preprocess on and off, built inside tf.tidy', () => {
      const features = [
        [1, 5],
        [2, 5],
        [3, 5],
        [6, 5],
      ];
      const labels = [0, 1, 0, 1];
      let target: LogisticRegressionTarget | undefined;
      tf.tidy(() => {
        target = logisticRegressionTarget({ features, labels });
      });
      assert.equal(target!.dim, 3);
      // Column 1: mean 3, population std sqrt(3.5); column 2 constant -> zeros.
      const s = Math.sqrt(3.5);
      assert.deepEqual(
        Array.from(target!.design).map((x) => Math.round(x * 1e12) / 1e12),
        [1, -2 / s, 0, 1, -1 / s, 0, 1, 0, 0, 1, 3 / s, 0].map((x) => Math.round(x * 1e12) / 1e12),
      );
      const raw = logisticRegressionTarget({ features, labels, preprocess: false, name: 'raw' });
      assert.equal(raw.dim, 2);
      const w = tf.tensor2d([[0.1, -0.2]]);
      const lp = raw.logProb(w);
      let expected = -LOG_2PI - 0.5 * (0.01 + 0.04);
      features.forEach((x, i) => {
        const eta = 0.1 * x[0]! - 0.2 * x[1]!;
        expected += labels[i]! * eta - softplus(eta);
      });
      assert.ok(Math.abs(lp.dataSync()[0]! - expected) < 1e-5);
      tf.dispose([w, lp]);
      target!.dispose();
      raw.dispose();
    });

    it('registry: names, fixed dims, options and errors', () => {
      const bad = (fn: () => unknown, pattern: RegExp) =>
        assert.throws(
          fn,
          (e: unknown) =>
            e instanceof TargetError && pattern.test(e.message) && !e.message.includes('\n'),
        );
      const names = listTargets().map((s) => s.name);
      for (const name of NAMES) {
        assert.ok(names.includes(name));
        const spec = getTargetSpec(name);
        assert.equal(spec.dimRule, 'fixed');
        assert.equal(spec.defaultDim, SHIPPED[name].columns);
        assert.equal(spec.logZKnown, false);
        assert.deepEqual(spec.options, ['dataPath']);
      }
      bad(
        () => createTarget('sonar', { dim: 10 }),
        /target 'sonar': dim must be exactly 61, got 10/,
      );
      bad(() => createTarget('ionosphere', { df: 3 }), /option 'df' does not apply to target/);
      bad(() => createTarget('breast-cancer', { loc: 1 }), /it takes: dim, dataPath/);
      const t = createTarget('ionosphere', { dim: 35 });
      assert.equal(t.dim, 35);
      t.dispose?.();
      bad(() => uciLogisticTarget('nope' as UciDatasetName), /unknown UCI data set 'nope'/);
      bad(() => logisticRegressionTarget({ features: [], labels: [] }), /at least one data row/);
      bad(() => logisticRegressionTarget({ features: [[1], [2, 3]], labels: [0, 1] }), /row 1/);
      bad(() => logisticRegressionTarget({ features: [[1], [2]], labels: [0] }), /1 labels/);
      bad(() => logisticRegressionTarget({ features: [[1], [2]], labels: [0, 0.5] }), /0 or 1/);
      bad(() => logisticRegressionTarget({ features: [[1], [NaN]], labels: [0, 1] }), /finite/);
      const target = createTarget('german-credit');
      const z = tf.zeros([2, 24]) as Tensor2D;
      bad(() => target.logProb(z), /shape \[N, 25\]/);
      bad(() => target.score!(z), /shape \[N, 25\]/);
      z.dispose();
      target.dispose?.();
    });
  });
}

describe('Laplace approximation of a logistic-regression posterior', () => {
  // A small problem: 12 rows, 2 raw features (d = 3 with the intercept).
  const rng = Rng.fromSeed(5);
  const x = rng.normalArray(24);
  const features = Array.from({ length: 12 }, (_, i) => [
    x[2 * i] as number,
    x[2 * i + 1] as number,
  ]);
  const labels = features.map((f, i) => ((f[0] as number) + 0.3 * i > 1.5 ? 1 : 0));
  labels[0] = 1; // not separable: the prior alone would keep the mode finite, but make it data-driven

  it('finds the mode (zero host gradient), the exact Hessian and the Laplace log Z formula', async () => {
    await initEngine({ backend: 'cpu' });
    const target = logisticRegressionTarget({ features, labels });
    const d = target.dim;
    const { mode, hessian, logZ } = target.laplace();
    const f = (w: number[]) => target.hostLogProb(w);
    const m = Array.from(mode);
    assertAllClose(centralDiffGrad(f, m), new Array(d).fill(0), 1e-7, 'gradient at the mode');
    // Negative Hessian by central differences of the gradient.
    const h = 1e-4;
    for (let j = 0; j < d; j++) {
      const up = [...m];
      const down = [...m];
      up[j]! += h;
      down[j]! -= h;
      const column = centralDiffGrad(f, up).map(
        (g, k) => -(g - centralDiffGrad(f, down)[k]!) / (2 * h),
      );
      assertAllClose(
        Array.from({ length: d }, (_, k) => hessian[k * d + j] as number),
        column,
        1e-5,
        `hessian column ${j}`,
      );
    }
    const rows = Array.from({ length: d }, (_, i) => Array.from(hessian.slice(i * d, (i + 1) * d)));
    const expected = f(m) + 0.5 * d * LOG_2PI - 0.5 * invertWithLogDet(rows).logDet;
    assert.ok(Math.abs(logZ - expected) < 1e-9, `laplace logZ ${logZ} vs ${expected}`);
    // The host log density is the tensor one (float32 tolerance).
    const w = tf.tensor2d([m, m.map((v) => -v)]) as Tensor2D;
    const onDevice = target.logProb(w).arraySync() as number[];
    w.dispose();
    assertAllClose(onDevice, [f(m), f(m.map((v) => -v))], 1e-5, 'hostLogProb vs logProb');
    target.dispose();
  });

  it('in one dimension its log Z is near the exact integral, and the mode is the maximum', async () => {
    await initEngine({ backend: 'cpu' });
    // Intercept only: gamma(w) = N(w; 0, 1) prod sigmoid(w)^y sigmoid(-w)^(1-y), a 1-d integral.
    const target = logisticRegressionTarget({
      features: labels.map(() => [1]),
      labels,
      preprocess: false,
    });
    const { mode, logZ } = target.laplace();
    const grid = Array.from({ length: 40001 }, (_, i) => -10 + i * 5e-4);
    const values = grid.map((w) => target.hostLogProb([w]));
    const top = Math.max(...values);
    const exact = top + Math.log(values.reduce((a, v) => a + Math.exp(v - top), 0) * 5e-4);
    const argmax = grid[values.indexOf(top)] as number;
    assert.ok(Math.abs((mode[0] as number) - argmax) < 1e-3, `mode ${mode[0]} vs grid ${argmax}`);
    // 12 observations: the posterior is close to Gaussian, so Laplace is within a few hundredths.
    assert.ok(Math.abs(logZ - exact) < 0.05, `laplace ${logZ} vs exact ${exact}`);
    assert.ok(Math.abs(logZ - exact) > 1e-6, 'Laplace is an approximation, not the integral');
    target.dispose();
  });
});

// Every file in examples/ runs as a user would run it (npx tsx examples/NAME.ts, importing the
// package by name) and its printed numbers are checked against exact values within their standard
// errors. An example without a check here fails the suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../examples/', import.meta.url));

function run(name: string): string {
  // The default backend, as a user gets it.
  const env = { ...process.env };
  delete env.ANNEAL_BACKEND;
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}`], {
    encoding: 'utf8',
    env,
  });
  assert.equal(r.status, 0, r.stderr.slice(0, 2000));
  return r.stdout;
}

/** The numbers after `label` in the output: `label ... = x ± se` and the like. */
function numbers(out: string, pattern: RegExp): number[] {
  const m = pattern.exec(out);
  assert.ok(m, `no match for ${pattern} in:\n${out}`);
  return m.slice(1).map(Number);
}

const near = (value: number, exact: number, se: number, slack = 0.01) =>
  assert.ok(Math.abs(value - exact) < 4 * se + slack, `${value} vs ${exact} (se ${se})`);

const CHECKS: Record<string, (out: string) => void> = {
  'bayesian-model.ts': (out) => {
    for (const label of ['auto, 3 features', 'tempered, 3 features', 'tempered, 2 features']) {
      const [logZ, se, exact] = numbers(
        out,
        new RegExp(`${label}: log Z = (-?\\d+\\.\\d+) ± (\\d+\\.\\d+) \\(exact (-?\\d+\\.\\d+)\\)`),
      ) as [number, number, number];
      near(logZ, exact, se);
    }
    const [bf, bfSe, bfExact] = numbers(
      out,
      /log Bayes factor = (-?\d+\.\d+) ± (\d+\.\d+) \(exact (-?\d+\.\d+)\)/,
    ) as [number, number, number];
    near(bf, bfExact, bfSe);
    const [mean, mcse, exactMean] = numbers(
      out,
      /posterior mean of w1 = (-?\d+\.\d+) ± (\d+\.\d+) \(exact (-?\d+\.\d+)\)/,
    ) as [number, number, number];
    near(mean, exactMean, mcse, 0.002);
    // The posterior is Gaussian: its Laplace approximation is exact, and whitened it is N(0, I).
    const [laplace, laplaceExact] = numbers(
      out,
      /Laplace, 3 features: log Z = (-?\d+\.\d+) \(exact (-?\d+\.\d+)\)/,
    ) as [number, number];
    near(laplace, laplaceExact, 0, 0.002);
    const [whitened, whitenedSe, whitenedExact] = numbers(
      out,
      /whitened, 3 features: log Z = (-?\d+\.\d+) ± (\d+\.\d+) \(exact (-?\d+\.\d+)\)/,
    ) as [number, number, number];
    near(whitened, whitenedExact, whitenedSe);
  },
  'chain.ts': (out) => {
    const [logZ, se] = numbers(out, /smc-mala: log Z = (-?\d+\.\d+) ± (\d+\.\d+) \(exact 0\)/) as [
      number,
      number,
    ];
    near(logZ, 0, se);
    const [steps] = numbers(out, /adaptive schedule: (\d+) steps/) as [number];
    assert.ok(steps > 2 && steps < 1000, `${steps} steps`);
  },
  'custom-target.ts': (out) => {
    const [logZ, se] = numbers(out, /^log Z = (-?\d+\.\d+) ± (\d+\.\d+)/m) as [number, number];
    near(logZ, Math.log(2 * Math.PI), se);
    assert.ok(se <= 0.03, `auto standard error ${se}`);
    const [fixed, fixedSe] = numbers(out, /ais-hmc: log Z = (-?\d+\.\d+) ± (\d+\.\d+)/) as [
      number,
      number,
    ];
    near(fixed, Math.log(2 * Math.PI), fixedSe);
  },
  'learned-sampler.ts': (out) => {
    const [logZ, se, exact, ess] = numbers(
      out,
      /trained: +log Z = (-?\d+\.\d+) ± (\d+\.\d+) \(exact (-?\d+\.\d+)\), ESS (\d+\.\d+)%/,
    ) as [number, number, number, number];
    near(logZ, exact, se);
    assert.ok(ess > 50, `ESS ${ess}% after training`);
    assert.match(out, /reloaded: log Z = -?\d+\.\d+ \(identical: true\)/);
  },
  'smc.ts': (out) => {
    for (const sampler of ['ais-hmc', 'smc-hmc']) {
      const [logZ, se, exact] = numbers(
        out,
        new RegExp(
          `${sampler}: log Z = (-?\\d+\\.\\d+) ± (\\d+\\.\\d+) \\(exact (-?\\d+\\.\\d+)\\)`,
        ),
      ) as [number, number, number];
      near(logZ, exact, se);
    }
    const exact = numbers(out, /\(exact (-?\d+\.\d+)\)/)[0] as number;
    const [logZ, se, bound, boundSe] = numbers(
      out,
      /DSMCS \(uha, gst\): log Z = (-?\d+\.\d+) ± (\d+\.\d+), SMC bound (-?\d+\.\d+) ± (\d+\.\d+)/,
    ) as [number, number, number, number];
    near(logZ, exact, se);
    // A lower bound in expectation.
    assert.ok(bound < exact + 4 * boundSe, `SMC bound ${bound} above log Z ${exact}`);
  },
  'flow.ts': (out) => {
    const [logZ, se, ess] = numbers(
      out,
      /flow: log Z = (-?\d+\.\d+) ± (\d+\.\d+), ESS (\d+\.\d+)%/,
    ) as [number, number, number];
    near(logZ, 0, se);
    assert.ok(ess > 30, `flow ESS ${ess}%`);
    const [ais, aisSe] = numbers(out, /AIS from the flow: log Z = (-?\d+\.\d+) ± (\d+\.\d+)/) as [
      number,
      number,
    ];
    near(ais, 0, aisSe);
  },
  'vae.ts': (out) => {
    const [elbo, iwae, ais] = numbers(
      out,
      /test: ELBO (-?\d+\.\d+), IWAE \(K = 200\) (-?\d+\.\d+), AIS log p\(x\) (-?\d+\.\d+)/,
    ) as [number, number, number];
    // On the same images: ELBO <= IWAE bound <= log p(x), each estimated; a model that learned
    // something sits far above the -543 nats of a uniform Bernoulli over 784 pixels.
    assert.ok(elbo < iwae, `ELBO ${elbo} vs IWAE ${iwae}`);
    assert.ok(iwae < ais + 2, `IWAE ${iwae} vs AIS ${ais}`);
    assert.ok(elbo > -350, `ELBO ${elbo}`);
  },
};

describe('examples/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  it('every example has a check', () => {
    assert.deepEqual(
      files.filter((f) => !CHECKS[f]),
      [],
    );
  });
  for (const file of files) {
    const check = CHECKS[file];
    if (check)
      it(`${file} runs and prints numbers that agree with the exact values`, () =>
        check(run(file)));
  }
});

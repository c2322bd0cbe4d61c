// Train a learned sampler (UHA: step sizes, schedule, initial distribution, damping and mass) on a
// target, evaluate it with fresh particles, save its parameters as JSON and load them back.
// Run: npx tsx examples/learned-sampler.ts
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTarget,
  evaluateSampler,
  initEngine,
  LearnedSampler,
  Rng,
  Trainer,
  type LearnedSamplerConfig,
  type SavedParam,
} from 'anneal';

await initEngine();

// A 10-d Gaussian with unequal scales (exact log Z known); any Target works the same way.
const target = createTarget('gaussian', { dim: 10 });

// One seed, split into independent streams for initialization and training.
const [initRng, trainRng] = Rng.fromSeed(0).split(2);
const sampler = new LearnedSampler(target, { kind: 'uha', steps: 16, stepSize: 0.1 }, initRng);

// Adam on the negative ELBO of 64 fresh chains per iteration (other settings: TRAINER_DEFAULTS).
const trainer = new Trainer(sampler, { particles: 64, learningRate: 0.01 }, trainRng);
for (let i = 0; i < 150; i++) {
  const m = trainer.step();
  if (m.iteration % 50 === 0) console.log(`iteration ${m.iteration}: ELBO ${m.elbo.toFixed(3)}`);
}
trainer.dispose();

// Evaluation draws fresh particles from its own stream: the same stream gives the same numbers.
const trained = evaluateSampler(sampler, { particles: 2000, rng: Rng.fromSeed(1) });
console.log(
  `trained:  log Z = ${trained.logZ.toFixed(3)} ± ${trained.logZStdErr?.toFixed(3)} ` +
    `(exact ${trained.trueLogZ?.toFixed(3)}), ESS ${(100 * trained.essFraction).toFixed(1)}%`,
);

// Keep it: the config and the parameters are plain JSON.
const file = join(mkdtempSync(join(tmpdir(), 'anneal-')), 'uha-gaussian.json');
writeFileSync(file, JSON.stringify({ config: sampler.config, params: sampler.params.save() }));
sampler.dispose();

const saved = JSON.parse(readFileSync(file, 'utf8')) as {
  config: LearnedSamplerConfig;
  params: Record<string, SavedParam>;
};
const restored = new LearnedSampler(target, saved.config);
restored.params.load(saved.params);
const again = evaluateSampler(restored, { particles: 2000, rng: Rng.fromSeed(1) });
console.log(
  `reloaded: log Z = ${again.logZ.toFixed(3)} (identical: ${again.logZ === trained.logZ})`,
);
restored.dispose();
target.dispose?.();

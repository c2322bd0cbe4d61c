// The smallest VAE run config the paired VAE scripts accept: 100 MNIST training images, a 3-d
// latent, 12 test images and a few AIS steps, so a test trains and evaluates in seconds.
export const TINY_VAE_CONFIG = `seed: 0
data: { name: mnist, binarization: dynamic, trainImages: 100 }
model: { latentDim: 3, hidden: [12] }
train: { epochs: 1, batch: 50, learningRate: 0.001, clipNorm: 10 }
eval: { testImages: 12, iwaeSamples: 5, aisSteps: 6, aisChains: 2, bdmcImages: 2 }
`;

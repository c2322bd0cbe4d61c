// The 40-component mixture of the FAB experiments (Midgley et al., ICLR 2023; lollcat/fab-torch,
// fab/target_distributions/gmm.py with experiments/gmm/run.py): 40 equal-weight components
// N(mu_k, s^2 I) in the plane, mu_k uniform in [-40, 40]^2 drawn by torch.rand after
// torch.manual_seed(0), and s = softplus(1) (the scale_tril of log_var_scaling 1). The means are the
// float32 draws of PyTorch 1.13's CPU generator, printed to 9 significant digits;
// test/reference/gmm40.py draws them again. Normalized (log Z = 0).
import { GaussianMixtureTarget } from './gaussianMixture.js';

/** Component means [40][2], as FAB's target draws them. */
export const GMM40_MEANS: readonly (readonly [number, number])[] = [
  [-0.299472809, 21.4577446],
  [-32.9218063, -29.437561],
  [-15.4061747, 10.7262945],
  [-0.792527199, 31.71558],
  [-3.54976177, 10.5845022],
  [-12.0885229, -7.86261559],
  [-38.2139397, -26.4912834],
  [-16.488924, 1.48174286],
  [15.8134079, 24.0009117],
  [-27.1176434, -17.4185143],
  [14.5286846, 33.215519],
  [-8.23200703, 29.9324703],
  [-6.44733429, 4.23256397],
  [36.2190475, -37.1068153],
  [-25.1815186, -10.1266098],
  [-15.5919981, 34.5600319],
  [-25.9271851, -18.4133148],
  [-27.9456177, -37.4624405],
  [-23.3496189, 34.3839226],
  [17.8487358, 19.3869019],
  [2.10366249, -20.5073395],
  [6.76738739, -37.3477898],
  [-28.9026489, -20.6212006],
  [25.2375183, 23.4528503],
  [-17.7398014, -1.44329548],
  [25.582428, 39.7653236],
  [15.8752871, 5.40371418],
  [26.8194542, -23.5520935],
  [7.4537611, -31.0122204],
  [-27.7234459, -20.6633415],
  [18.0989227, 16.0864162],
  [-23.6940994, 12.0842838],
  [21.9588814, -5.04869461],
  [1.52726173, 9.26818848],
  [24.8150635, 38.4077644],
  [-30.8249435, -14.6587896],
  [15.720396, 33.1419754],
  [34.8082924, 35.2942696],
  [7.96058178, -34.7833061],
  [3.6796999, -25.0242138],
];

/** Each component's standard deviation: softplus(1). */
export const GMM40_SCALE = Math.log1p(Math.E);

export function gmm40Target(): GaussianMixtureTarget {
  return new GaussianMixtureTarget({
    means: GMM40_MEANS,
    variance: GMM40_SCALE * GMM40_SCALE,
    name: 'gmm40',
  });
}

// A banana-shaped density in 6 dimensions, written as a target module for `anneal logz
// --target-module`: x1 ~ N(0, a^2), x2 - b (x1^2 - a^2) ~ N(0, 1), the rest N(0, 1), unnormalized.
// Substituting u = x2 - b (x1^2 - a^2) (Jacobian 1) gives the exact normalizer Z = (2 pi)^(d/2) a.
const a = 3;
const b = 0.2;
const dim = 6;

export default {
  name: 'banana',
  dim,
  logZ: (dim / 2) * Math.log(2 * Math.PI) + Math.log(a),
  logProb: (z) => {
    const x1 = z.slice([0, 0], [-1, 1]);
    const x2 = z.slice([0, 1], [-1, 1]);
    const rest = z.slice([0, 2], [-1, dim - 2]);
    const bend = x2.sub(
      x1
        .square()
        .sub(a * a)
        .mul(b),
    );
    return x1
      .square()
      .div(a * a)
      .add(bend.square())
      .add(rest.square().sum(1, true))
      .mul(-0.5)
      .reshape([-1]);
  },
};

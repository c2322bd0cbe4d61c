// HMC's own arithmetic around a target that the native code does not know (a user's log density
// in TF.js ops, evaluated by TF.js in between): a kick and drift of the leapfrog, and the last half
// kick with the Metropolis decision. Compiled with -ffp-contract=off (binding.gyp, anneal_exact):
// each product and sum is rounded as TF.js's op-by-op path rounds it, in the same order, so the
// particles and the decisions are bit for bit those of the reference path (annealing/kernels/hmc.ts).
//
// The kick h and drift e are one value, or one per coordinate (a preconditioned HMC: length d).
// HmcKickDrift: ints [n, d]; scalars [a, b];
//   arrays [h, e, z, p, sI, sT (n d each), zOut, pOut]: pOut = p + h (a sI + b sT), zOut = z + e pOut.
// HmcAccept:    ints [n, d]; scalars [a, b];
//   arrays [h, z, lT, sT, lI, sI (start), z', lT', sT', lI', sI' (proposal), p, p0, logU (n),
//           zOut, lTOut, sTOut, lIOut, sIOut, logAlpha (n), diverged (1)]:
//   pEnd = p + h (a sI' + b sT'); log alpha = ((a lI' + b lT') - (a lI + b lT)) + 0.5 (|p0|^2 - |pEnd|^2);
//   each particle takes the end state where log u < log alpha; logAlpha out has NaN as -inf (the
//   caller averages min(1, alpha) with TF.js's own kernels, as the reference does), and diverged
//   counts the proposals whose log alpha is below -1000 or NaN.
#include "metropolis.h"

namespace anneal {

bool hmc_kick_drift(const int32_t* ints, size_t num_ints, const double* s, size_t num_scalars,
                    Span* arr, size_t num_arrays, std::string* error) {
  if (!counts_match(ints, num_ints, 2, num_scalars, 2, num_arrays, 8, error,
                    "an HMC kick and drift"))
    return false;
  const size_t n = static_cast<size_t>(ints[0]), d = static_cast<size_t>(ints[1]);
  if (!one_or_d(arr[0], d, error) || !one_or_d(arr[1], d, error)) return false;
  for (size_t i = 2; i < 8; i++)
    if (arr[i].length != n * d) {
      *error = "fused op: HMC kick and drift arrays do not match n x d";
      return false;
    }
  const float a = static_cast<float>(s[0]), b = static_cast<float>(s[1]);
  const float *h = arr[0].data, *e = arr[1].data;
  const size_t hs = arr[0].length == 1 ? 0 : 1, es = arr[1].length == 1 ? 0 : 1;
  const float *z = arr[2].data, *p = arr[3].data, *si = arr[4].data, *st = arr[5].data;
  float *zo = arr[6].data, *po = arr[7].data;
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < d; j++) {
      const size_t i = r * d + j;
      const float g = a * si[i] + b * st[i];
      const float q = p[i] + h[j * hs] * g;
      po[i] = q;
      zo[i] = z[i] + e[j * es] * q;
    }
  return true;
}

bool hmc_accept(const int32_t* ints, size_t num_ints, const double* s, size_t num_scalars,
                Span* arr, size_t num_arrays, std::string* error) {
  if (!counts_match(ints, num_ints, 2, num_scalars, 2, num_arrays, 21, error, "an HMC decision"))
    return false;
  const size_t n = static_cast<size_t>(ints[0]), d = static_cast<size_t>(ints[1]);
  if (!one_or_d(arr[0], d, error)) return false;
  const float* h = arr[0].data;
  const size_t hs = arr[0].length == 1 ? 0 : 1;
  // [h, start (5), proposal (5), p, p0, log u, outputs (7)]
  Decision dec{arr + 1, arr + 6, arr + 13, arr + 14, n, d};
  if (!dec.check(error)) return false;
  if (arr[11].length != n * d || arr[12].length != n * d) {
    *error = "fused op: HMC momenta do not match n x d";
    return false;
  }
  const float a = static_cast<float>(s[0]), b = static_cast<float>(s[1]);
  const Span *st = dec.start, *pr = dec.proposal;
  for (size_t r = 0; r < n; r++) {
    const size_t o = r * d;
    const float* p = arr[11].data + o;
    const float* p0 = arr[12].data + o;
    const float* si1 = pr[4].data + o;
    const float* st1 = pr[2].data + o;
    float ss0 = 0.0f, ss1 = 0.0f;
    for (size_t j = 0; j < d; j++) {
      const float q = p[j] + h[j * hs] * (a * si1[j] + b * st1[j]);
      ss0 = ss0 + p0[j] * p0[j];
      ss1 = ss1 + q * q;
    }
    const float from = a * st[3].data[r] + b * st[1].data[r];
    const float to = a * pr[3].data[r] + b * pr[1].data[r];
    dec.decide(r, (to - from) + 0.5f * (ss0 - ss1));
  }
  dec.finish();
  return true;
}

}  // namespace anneal

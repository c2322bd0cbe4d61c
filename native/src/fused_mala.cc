// MALA's own arithmetic around a target that the native code does not know: the Langevin proposal,
// and the Metropolis decision with both proposal densities. Compiled with -ffp-contract=off, like
// fused_hmc.cc, so each value is rounded as the op-by-op step (annealing/kernels/mala.ts) rounds it.
//
// The step delta is one value, or one per coordinate (a preconditioned MALA: length d).
// MalaPropose: ints [n, d]; scalars [a, b];
//   arrays [delta, noise (1 or d), z, sI, sT, eps (n d each), zOut]:
//   zOut = (z + delta (a sI + b sT)) + noise eps.
// MalaAccept:  ints [n, d, per coordinate (0 or 1)]; scalars [a, b, c] (c = -4 delta for one
//   delta, unused per coordinate);
//   arrays [delta, z, lT, sT, lI, sI (start), z', lT', sT', lI', sI' (proposal), eps, logU (n),
//           zOut, lTOut, sTOut, lIOut, sIOut, logAlpha (n), diverged (1)]:
//   r = (z - z') - delta (a sI' + b sT'); log q(z | z') = |r|^2 / c, or -0.25 sum_j r_j^2 / delta_j;
//   log q(z' | z) = -0.5 |eps|^2; log alpha = ((a lI' + b lT') - (a lI + b lT)) + (log q(z | z') -
//   log q(z' | z)); the decision as in metropolis.h.
#include "metropolis.h"

namespace anneal {

bool mala_propose(const int32_t* ints, size_t num_ints, const double* s, size_t num_scalars,
                  Span* arr, size_t num_arrays, std::string* error) {
  if (!counts_match(ints, num_ints, 2, num_scalars, 2, num_arrays, 7, error, "a MALA proposal"))
    return false;
  const size_t n = static_cast<size_t>(ints[0]), d = static_cast<size_t>(ints[1]);
  if (!one_or_d(arr[0], d, error) || !one_or_d(arr[1], d, error)) return false;
  for (size_t i = 2; i < 7; i++)
    if (arr[i].length != n * d) {
      *error = "fused op: MALA proposal arrays do not match n x d";
      return false;
    }
  const float a = static_cast<float>(s[0]), b = static_cast<float>(s[1]);
  const float *delta = arr[0].data, *noise = arr[1].data;
  const size_t ds = arr[0].length == 1 ? 0 : 1, ns = arr[1].length == 1 ? 0 : 1;
  const float *z = arr[2].data, *si = arr[3].data, *st = arr[4].data, *eps = arr[5].data;
  float* out = arr[6].data;
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < d; j++) {
      const size_t i = r * d + j;
      const float g = a * si[i] + b * st[i];
      out[i] = (z[i] + delta[j * ds] * g) + noise[j * ns] * eps[i];
    }
  return true;
}

bool mala_accept(const int32_t* ints, size_t num_ints, const double* s, size_t num_scalars,
                 Span* arr, size_t num_arrays, std::string* error) {
  if (!counts_match(ints, num_ints, 3, num_scalars, 3, num_arrays, 20, error, "a MALA decision"))
    return false;
  const size_t n = static_cast<size_t>(ints[0]), d = static_cast<size_t>(ints[1]);
  const bool per_coordinate = ints[2] != 0;
  if (arr[0].length != (per_coordinate ? d : 1)) {
    *error = "fused op: a MALA step must hold d values per coordinate, else 1";
    return false;
  }
  // [delta, start (5), proposal (5), eps, log u, outputs (7)]
  Decision dec{arr + 1, arr + 6, arr + 12, arr + 13, n, d};
  if (!dec.check(error)) return false;
  if (arr[11].length != n * d) {
    *error = "fused op: MALA noise does not match n x d";
    return false;
  }
  const float a = static_cast<float>(s[0]), b = static_cast<float>(s[1]);
  const float c = static_cast<float>(s[2]);
  const float* delta = arr[0].data;
  const Span *st = dec.start, *pr = dec.proposal;
  for (size_t r = 0; r < n; r++) {
    const size_t o = r * d;
    const float* z = st[0].data + o;
    const float* z1 = pr[0].data + o;
    const float* si1 = pr[4].data + o;
    const float* st1 = pr[2].data + o;
    const float* eps = arr[11].data + o;
    float back = 0.0f, fwd = 0.0f;
    for (size_t j = 0; j < d; j++) {
      const float res = (z[j] - z1[j]) - delta[per_coordinate ? j : 0] * (a * si1[j] + b * st1[j]);
      back = back + (per_coordinate ? (res * res) / delta[j] : res * res);
      fwd = fwd + eps[j] * eps[j];
    }
    const float log_back = per_coordinate ? -0.25f * back : back / c;
    const float log_fwd = -0.5f * fwd;
    const float from = a * st[3].data[r] + b * st[1].data[r];
    const float to = a * pr[3].data[r] + b * pr[1].data[r];
    dec.decide(r, (to - from) + (log_back - log_fwd));
  }
  dec.finish();
  return true;
}

}  // namespace anneal

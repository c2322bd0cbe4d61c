// A diagonal Gaussian with its own mean and log scale per row (a VAE encoder's q(z | x_i) as the
// initial distribution of one chain per row): log density and score in one pass, and their
// vector-Jacobian product with respect to z, the means and the log scales. With e = (z - m) / s,
// s = exp(logScale):
//   log q = -sum_j (e_j^2 / 2 + logScale_j + log(2 pi) / 2),   score = -e / s
//   d log q / dz = score, / dm = -score, / dlogScale = e^2 - 1
//   d score / dz = -1 / s^2, / dm = 1 / s^2, / dlogScale = -2 score      (all diagonal)
//
// RowGaussian      ints [n, d]; arrays [z, mean, logScale, logq (n), score (n d)]
// RowGaussianGrad  ints [n, d]; arrays [z, mean, logScale, dlogq, dscore, dz, dmean, dlogScale]
#include <cmath>

#include "fused.h"
#include "vecmath.h"

namespace anneal {
namespace {

bool check(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays, size_t want,
           std::string* error) {
  if (num_ints != 2 || ints[0] < 0 || ints[1] < 1 || num_arrays != want) {
    *error = "fused op: wrong arguments for the row Gaussian";
    return false;
  }
  const size_t n = ints[0], nd = n * ints[1];
  for (size_t i = 0; i < want; i++) {
    const bool perRow = (want == 5 && i == 3) || (want == 8 && i == 3);
    if (a[i].length != (perRow ? n : nd)) {
      *error = "fused op: row Gaussian array " + std::to_string(i) + " has the wrong length";
      return false;
    }
  }
  return true;
}

}  // namespace

bool row_gaussian(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                  std::string* error) {
  if (!check(ints, num_ints, a, num_arrays, 5, error)) return false;
  const int64_t n = ints[0], d = ints[1];
  const float half_log_2pi = 0.5f * std::log(2.0f * static_cast<float>(M_PI));
  for (int64_t r = 0; r < n; r++) {
    const float *z = a[0].data + r * d, *m = a[1].data + r * d, *ls = a[2].data + r * d;
    float* score = a[4].data + r * d;
    float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
    for (int64_t j = 0; j < d; j++) {
      const float inv = vexp(-ls[j]);
      const float e = (z[j] - m[j]) * inv;
      score[j] = -e * inv;
      acc += 0.5f * e * e + ls[j] + half_log_2pi;
    }
    a[3].data[r] = -acc;
  }
  return true;
}

bool row_gaussian_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                       std::string* error) {
  if (!check(ints, num_ints, a, num_arrays, 8, error)) return false;
  const int64_t n = ints[0], d = ints[1];
  for (int64_t r = 0; r < n; r++) {
    const size_t o = r * d;
    const float *z = a[0].data + o, *m = a[1].data + o, *ls = a[2].data + o;
    const float gl = a[3].data[r];
    const float* gs = a[4].data + o;
    float *dz = a[5].data + o, *dm = a[6].data + o, *dls = a[7].data + o;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) {
      const float inv = vexp(-ls[j]);
      const float e = (z[j] - m[j]) * inv;
      const float score = -e * inv;
      const float g = gl * score - gs[j] * inv * inv;
      dz[j] = g;
      dm[j] = -g;
      dls[j] = gl * (e * e - 1.0f) - 2.0f * gs[j] * score;
    }
  }
  return true;
}

}  // namespace anneal

// The ULA transition for any target, as two differentiable pieces around the target's own
// evaluation (which stays TF.js code with its own gradients): the proposal
//   z' = z + delta (a sI + b sT) + sqrt(2 delta) eps,          a = 1 - beta, b = beta
// and the log-weight correction
//   corr = [a lI' + b lT' - (a lI + b lT)] - |z - z' - delta (a sI' + b sT' + r)|^2 / (4 delta)
//          + |eps|^2 / 2
// (r: an MCD correction at z', or none), each one pass forward and one pass for its
// vector-Jacobian product. Rows are particles [n, d]; delta and beta are scalars.
//
// UlaPropose      ints [n, d]; arrays [z, sT, sI, eps, delta, beta, z']
// UlaProposeGrad  ints [n, d]; arrays [z, sT, sI, eps, delta, beta, dz',
//                                      dz, dsT, dsI, ddelta, dbeta]
// UlaWeight       ints [n, d, hasR]; arrays [z, z', eps, lT, lI, lT', lI', sT', sI', r, delta,
//                                            beta, corr]
// UlaWeightGrad   ints [n, d, hasR]; arrays [the 12 inputs, dcorr,
//                                            dz, dz', dlT, dlI, dlT', dlI', dsT', dsI', dr,
//                                            ddelta, dbeta]
#include "fused_common.h"

namespace anneal {
namespace {

bool sizes(const int32_t* ints, size_t num_ints, size_t want, int64_t* n, int64_t* d,
           std::string* error) {
  if (num_ints != want || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad ULA sizes";
    return false;
  }
  *n = ints[0];
  *d = ints[1];
  return true;
}

bool count(size_t got, size_t want, std::string* error) {
  if (got != want) *error = "fused op: wrong number of arguments";
  return got == want;
}

bool lengths(Span* a, std::initializer_list<std::pair<int, size_t>> want, std::string* error) {
  for (const auto& [i, len] : want) {
    if (a[i].length != len) {
      *error = "fused op: ULA array " + std::to_string(i) + " has " +
               std::to_string(a[i].length) + " elements, expected " + std::to_string(len);
      return false;
    }
  }
  return true;
}

}  // namespace

bool ula_propose(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                 std::string* error) {
  int64_t n, d;
  if (!count(num_arrays, 7, error) || !sizes(ints, num_ints, 2, &n, &d, error)) return false;
  const size_t nd = n * d;
  if (!lengths(a, {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, 1}, {5, 1}, {6, nd}}, error)) return false;
  const float delta = a[4].data[0], beta = a[5].data[0];
  const float ca = 1.0f - beta, cb = beta, noise = std::sqrt(2.0f * delta);
  const float *z = a[0].data, *st = a[1].data, *si = a[2].data, *eps = a[3].data;
  float* out = a[6].data;
  for (size_t k = 0; k < nd; k++) out[k] = (z[k] + delta * (ca * si[k] + cb * st[k])) + noise * eps[k];
  return true;
}

bool ula_propose_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                      std::string* error) {
  int64_t n, d;
  if (!count(num_arrays, 12, error) || !sizes(ints, num_ints, 2, &n, &d, error)) return false;
  const size_t nd = n * d;
  if (!lengths(a, {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, 1}, {5, 1}, {6, nd}, {7, nd}, {8, nd},
                   {9, nd}, {10, 1}, {11, 1}},
               error))
    return false;
  const float delta = a[4].data[0], beta = a[5].data[0];
  const float ca = 1.0f - beta, cb = beta, noise = std::sqrt(2.0f * delta);
  const float *st = a[1].data, *si = a[2].data, *eps = a[3].data, *g = a[6].data;
  float *dz = a[7].data, *dst = a[8].data, *dsi = a[9].data;
  double g_delta = 0.0, g_beta = 0.0;
  for (size_t k = 0; k < nd; k++) {
    dz[k] = g[k];
    dst[k] = g[k] * delta * cb;
    dsi[k] = g[k] * delta * ca;
    g_delta += static_cast<double>(g[k]) * ((ca * si[k] + cb * st[k]) + eps[k] / noise);
    g_beta += static_cast<double>(g[k]) * delta * (st[k] - si[k]);
  }
  a[10].data[0] = static_cast<float>(g_delta);
  a[11].data[0] = static_cast<float>(g_beta);
  return true;
}

bool ula_weight(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                std::string* error) {
  int64_t n, d;
  if (!count(num_arrays, 13, error) || !sizes(ints, num_ints, 3, &n, &d, error)) return false;
  const bool has_r = ints[2] != 0;
  const size_t nd = n * d;
  if (!lengths(a, {{0, nd}, {1, nd}, {2, nd}, {3, n}, {4, n}, {5, n}, {6, n}, {7, nd}, {8, nd},
                   {9, has_r ? nd : 0}, {10, 1}, {11, 1}, {12, n}},
               error))
    return false;
  const float delta = a[10].data[0], beta = a[11].data[0];
  const float ca = 1.0f - beta, cb = beta, minus4d = -4.0f * delta;
  const float *z = a[0].data, *zn = a[1].data, *eps = a[2].data, *lt = a[3].data, *li = a[4].data,
              *ltn = a[5].data, *lin = a[6].data, *stn = a[7].data, *sin_ = a[8].data,
              *r = has_r ? a[9].data : nullptr;
  float* corr = a[12].data;
  for (int64_t i = 0; i < n; i++) {
    float back = 0.0f, fwd = 0.0f;
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float drift = ca * sin_[k] + cb * stn[k] + (r ? r[k] : 0.0f);
      const float res = (z[k] - zn[k]) - delta * drift;
      back += res * res;
      fwd += eps[k] * eps[k];
    }
    corr[i] = ((ca * lin[i] + cb * ltn[i]) - (ca * li[i] + cb * lt[i])) +
              (back / minus4d - (-0.5f * fwd));
  }
  return true;
}

bool ula_weight_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                     std::string* error) {
  int64_t n, d;
  if (!count(num_arrays, 24, error) || !sizes(ints, num_ints, 3, &n, &d, error)) return false;
  const bool has_r = ints[2] != 0;
  const size_t nd = n * d;
  if (!lengths(a, {{0, nd}, {1, nd}, {2, nd}, {3, n}, {4, n}, {5, n}, {6, n}, {7, nd}, {8, nd},
                   {9, has_r ? nd : 0}, {10, 1}, {11, 1}, {12, n}, {13, nd}, {14, nd}, {15, n},
                   {16, n}, {17, n}, {18, n}, {19, nd}, {20, nd}, {21, has_r ? nd : 0}, {22, 1},
                   {23, 1}},
               error))
    return false;
  const float delta = a[10].data[0], beta = a[11].data[0];
  const float ca = 1.0f - beta, cb = beta;
  const float *z = a[0].data, *zn = a[1].data, *lt = a[3].data, *li = a[4].data,
              *ltn = a[5].data, *lin = a[6].data, *stn = a[7].data, *sin_ = a[8].data,
              *r = has_r ? a[9].data : nullptr, *om = a[12].data;
  float *dz = a[13].data, *dzn = a[14].data, *dlt = a[15].data, *dli = a[16].data,
        *dltn = a[17].data, *dlin = a[18].data, *dstn = a[19].data, *dsin = a[20].data,
        *dr = has_r ? a[21].data : nullptr;
  double g_delta = 0.0, g_beta = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const float w = om[i];
    dltn[i] = w * cb;
    dlin[i] = w * ca;
    dlt[i] = -w * cb;
    dli[i] = -w * ca;
    g_beta += static_cast<double>(w) * ((ltn[i] - lin[i]) - (lt[i] - li[i]));
    double sq = 0.0, rg = 0.0;
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float drift = ca * sin_[k] + cb * stn[k] + (r ? r[k] : 0.0f);
      const float res = (z[k] - zn[k]) - delta * drift;
      // logB = -|res|^2 / (4 delta): d/dres = -res / (2 delta)
      const float dres = -w * res / (2.0f * delta);
      dz[k] = dres;
      dzn[k] = -dres;
      const float ddrift = -dres * delta;  // = w res / 2
      dsin[k] = ca * ddrift;
      dstn[k] = cb * ddrift;
      if (dr) dr[k] = ddrift;
      g_beta += static_cast<double>(ddrift) * (stn[k] - sin_[k]);
      sq += static_cast<double>(res) * res;
      rg += static_cast<double>(res) * drift;
    }
    // d/ddelta of -|res|^2/(4 delta) with res = (z - z') - delta drift
    g_delta += w * (sq / (4.0 * delta * delta) + rg / (2.0 * delta));
  }
  a[22].data[0] = static_cast<float>(g_delta);
  a[23].data[0] = static_cast<float>(g_beta);
  return true;
}

}  // namespace anneal

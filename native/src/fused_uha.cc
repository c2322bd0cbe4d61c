// The UHA transition for any target, in three differentiable pieces around the target's own
// evaluations (which stay TF.js code with their own gradients). With a = 1 - beta, b = beta,
// g(z) = a sI(z) + b sT(z), M the diagonal mass, c = sqrt(rho M), h = eps / 2, and the refresh's
// decay eta and variance factor rho given as one pair [eta, rho] (the exact refresh: eta and
// 1 - eta^2; LDVI's Euler step: 1 - h and 2h):
//   start:  v' = eta v + c xi (or given, with a learned network);  p = v' + h g(z_0);  z_1 = z_0 + eps p / M
//   kick:   p = p + eps g(z_l);  z_{l+1} = z_l + eps p / M                  (leapfrog steps 2..L)
//   finish: p_L = p + h g(z_L);
//           corr = [a lI_L + b lT_L - |p_L|^2_M / 2] - [a lI_0 + b lT_0 - |v|^2_M / 2]
//                  - |v - eta v' - rho M r|^2 / (2 rho M) + |xi|^2 / 2  (r: MCD's correction or CMCD's control)
// Each is one pass forward and one for its vector-Jacobian product. Rows are particles [n, d];
// beta, eps are scalars, [eta, rho] a pair, M is [d].
//
// UhaStart       ints [n, d, refreshInside]; arrays [z, sT, sI, v, xi, v' (or empty), beta, eps,
//                [eta, rho], mass, z_1, p]
// UhaStartGrad   the 10 inputs, dz_1, dp, then dz, dsT, dsI, dv, dv' (or empty), dbeta, deps,
//                [deta, drho], dmass
// UhaKick        ints [n, d]; arrays [z, p, sT, sI, beta, eps, mass, z', p']
// UhaKickGrad    the 7 inputs, dz', dp', then dz, dp, dsT, dsI, dbeta, deps, dmass
// UhaFinish      ints [n, d, refreshInside, hasR]; arrays [p, v, xi, v' (or empty), r (or empty),
//                lT0, lI0, lT, lI, sT, sI, beta, eps, [eta, rho], mass, p_L, corr]
// UhaFinishGrad  the 15 inputs, dp_L, dcorr, then dp, dv, dv' (or empty), dr (or empty), dlT0,
//                dlI0, dlT, dlI, dsT, dsI, dbeta, deps, [deta, drho], dmass
#include "fused_common.h"

namespace anneal {
namespace {

bool check(Span* a, size_t num_arrays, size_t want_arrays,
           std::initializer_list<std::pair<int, size_t>> lengths, std::string* error) {
  if (num_arrays != want_arrays) {
    *error = "fused op: wrong number of arguments";
    return false;
  }
  for (const auto& [i, len] : lengths) {
    if (a[i].length != len) {
      *error = "fused op: UHA array " + std::to_string(i) + " has " +
               std::to_string(a[i].length) + " elements, expected " + std::to_string(len);
      return false;
    }
  }
  return true;
}

// The refresh v' = eta v + sqrt(rho M) xi and its parameters, from the pair [eta, rho].
struct Refresh {
  float eta, rho;
  std::vector<float> c, s, inv_mass;  // sqrt(rho M), rho M, 1 / M
  Refresh(const float* pair, const float* mass, int64_t d)
      : eta(pair[0]), rho(pair[1]), c(d), s(d), inv_mass(d) {
    for (int64_t j = 0; j < d; j++) {
      s[j] = rho * mass[j];
      c[j] = std::sqrt(s[j]);
      inv_mass[j] = 1.0f / mass[j];
    }
  }
};

// Adds the gradient of v' = eta v + c xi for the adjoint dvr: to dv, and to eta and mass.
void refresh_backward(const Refresh& f, const float* mass, const float* v, const float* xi,
                      const float* dvr, float* dv, size_t n, int64_t d, double* g_eta,
                      double* g_rho, double* g_mass) {
  for (size_t i = 0; i < n; i++)
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      dv[k] += f.eta * dvr[k];
      *g_eta += static_cast<double>(dvr[k]) * v[k];
      const double cbar = static_cast<double>(dvr[k]) * xi[k];
      *g_rho += cbar * mass[j] / (2.0 * f.c[j]);
      g_mass[j] += cbar * f.rho / (2.0 * f.c[j]);
    }
}

}  // namespace

bool uha_start(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
               std::string* error) {
  if (num_ints != 3 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const bool inside = ints[2] != 0;
  const size_t nd = n * d;
  if (!check(a, num_arrays, 12,
             {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, nd}, {5, inside ? 0 : nd}, {6, 1}, {7, 1},
              {8, 2}, {9, static_cast<size_t>(d)}, {10, nd}, {11, nd}},
             error))
    return false;
  const float beta = a[6].data[0], eps = a[7].data[0], half = 0.5f * eps;
  const float ca = 1.0f - beta, cb = beta;
  const float* mass = a[9].data;
  const Refresh f(a[8].data, mass, d);
  const float *z = a[0].data, *st = a[1].data, *si = a[2].data, *v = a[3].data, *xi = a[4].data,
              *vr_in = inside ? nullptr : a[5].data;
  float *z1 = a[10].data, *p = a[11].data;
  for (size_t i = 0; i < static_cast<size_t>(n); i++)
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float vr = vr_in ? vr_in[k] : f.eta * v[k] + f.c[j] * xi[k];
      p[k] = vr + half * (ca * si[k] + cb * st[k]);
      z1[k] = z[k] + eps * (p[k] * f.inv_mass[j]);
    }
  return true;
}

bool uha_start_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                    std::string* error) {
  if (num_ints != 3 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const bool inside = ints[2] != 0;
  const size_t nd = n * d, dd = static_cast<size_t>(d);
  if (!check(a, num_arrays, 21,
             {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, nd}, {5, inside ? 0 : nd}, {6, 1}, {7, 1},
              {8, 2}, {9, dd}, {10, nd}, {11, nd}, {12, nd}, {13, nd}, {14, nd}, {15, nd},
              {16, inside ? 0 : nd}, {17, 1}, {18, 1}, {19, 2}, {20, dd}},
             error))
    return false;
  const float beta = a[6].data[0], eps = a[7].data[0], half = 0.5f * eps;
  const float ca = 1.0f - beta, cb = beta;
  const float* mass = a[9].data;
  const Refresh f(a[8].data, mass, d);
  const float *st = a[1].data, *si = a[2].data, *v = a[3].data, *xi = a[4].data,
              *vr_in = inside ? nullptr : a[5].data, *dz1 = a[10].data, *dp_out = a[11].data;
  float *dz = a[12].data, *dst = a[13].data, *dsi = a[14].data, *dv = a[15].data;
  std::vector<float> dvr_store(inside ? nd : 0);
  float* dvr = inside ? dvr_store.data() : a[16].data;
  double g_beta = 0.0, g_eps = 0.0, g_eta = 0.0, g_rho = 0.0;
  std::vector<double> g_mass(d, 0.0);
  for (size_t i = 0; i < static_cast<size_t>(n); i++)
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float vr = vr_in ? vr_in[k] : f.eta * v[k] + f.c[j] * xi[k];
      const float g = ca * si[k] + cb * st[k];
      const float p = vr + half * g;
      const float pbar = dp_out[k] + dz1[k] * eps * f.inv_mass[j];
      dz[k] = dz1[k];
      g_eps += static_cast<double>(dz1[k]) * p * f.inv_mass[j] + 0.5 * pbar * g;
      g_mass[j] += -static_cast<double>(dz1[k]) * eps * p * f.inv_mass[j] * f.inv_mass[j];
      dst[k] = pbar * half * cb;
      dsi[k] = pbar * half * ca;
      g_beta += static_cast<double>(pbar) * half * (st[k] - si[k]);
      dvr[k] = pbar;
      dv[k] = 0.0f;
    }
  if (inside) refresh_backward(f, mass, v, xi, dvr, dv, n, d, &g_eta, &g_rho, g_mass.data());
  a[17].data[0] = static_cast<float>(g_beta);
  a[18].data[0] = static_cast<float>(g_eps);
  a[19].data[0] = static_cast<float>(g_eta);
  a[19].data[1] = static_cast<float>(g_rho);
  for (int64_t j = 0; j < d; j++) a[20].data[j] = static_cast<float>(g_mass[j]);
  return true;
}

bool uha_kick(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
              std::string* error) {
  if (num_ints != 2 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const size_t nd = n * d;
  if (!check(a, num_arrays, 9,
             {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, 1}, {5, 1}, {6, static_cast<size_t>(d)},
              {7, nd}, {8, nd}},
             error))
    return false;
  const float beta = a[4].data[0], eps = a[5].data[0], ca = 1.0f - beta, cb = beta;
  const float* mass = a[6].data;
  const float *z = a[0].data, *p = a[1].data, *st = a[2].data, *si = a[3].data;
  float *zo = a[7].data, *po = a[8].data;
  for (size_t i = 0; i < static_cast<size_t>(n); i++)
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      po[k] = p[k] + eps * (ca * si[k] + cb * st[k]);
      zo[k] = z[k] + eps * (po[k] / mass[j]);
    }
  return true;
}

bool uha_kick_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                   std::string* error) {
  if (num_ints != 2 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const size_t nd = n * d, dd = static_cast<size_t>(d);
  if (!check(a, num_arrays, 16,
             {{0, nd}, {1, nd}, {2, nd}, {3, nd}, {4, 1}, {5, 1}, {6, dd}, {7, nd}, {8, nd},
              {9, nd}, {10, nd}, {11, nd}, {12, nd}, {13, 1}, {14, 1}, {15, dd}},
             error))
    return false;
  const float beta = a[4].data[0], eps = a[5].data[0], ca = 1.0f - beta, cb = beta;
  const float* mass = a[6].data;
  const float *p = a[1].data, *st = a[2].data, *si = a[3].data, *dzo = a[7].data,
              *dpo = a[8].data;
  float *dz = a[9].data, *dp = a[10].data, *dst = a[11].data, *dsi = a[12].data;
  double g_beta = 0.0, g_eps = 0.0;
  std::vector<double> g_mass(d, 0.0);
  for (size_t i = 0; i < static_cast<size_t>(n); i++)
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float g = ca * si[k] + cb * st[k];
      const float po = p[k] + eps * g;
      const float im = 1.0f / mass[j];
      const float pbar = dpo[k] + dzo[k] * eps * im;
      dz[k] = dzo[k];
      dp[k] = pbar;
      g_eps += static_cast<double>(dzo[k]) * po * im + static_cast<double>(pbar) * g;
      g_mass[j] += -static_cast<double>(dzo[k]) * eps * po * im * im;
      dst[k] = pbar * eps * cb;
      dsi[k] = pbar * eps * ca;
      g_beta += static_cast<double>(pbar) * eps * (st[k] - si[k]);
    }
  a[13].data[0] = static_cast<float>(g_beta);
  a[14].data[0] = static_cast<float>(g_eps);
  for (int64_t j = 0; j < d; j++) a[15].data[j] = static_cast<float>(g_mass[j]);
  return true;
}

bool uha_finish(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                std::string* error) {
  if (num_ints != 4 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const bool inside = ints[2] != 0, has_r = ints[3] != 0;
  const size_t nd = n * d, nn = static_cast<size_t>(n);
  if (!check(a, num_arrays, 17,
             {{0, nd}, {1, nd}, {2, nd}, {3, inside ? 0 : nd}, {4, has_r ? nd : 0}, {5, nn},
              {6, nn}, {7, nn}, {8, nn}, {9, nd}, {10, nd}, {11, 1}, {12, 1}, {13, 2},
              {14, static_cast<size_t>(d)}, {15, nd}, {16, nn}},
             error))
    return false;
  const float beta = a[11].data[0], eps = a[12].data[0], half = 0.5f * eps;
  const float ca = 1.0f - beta, cb = beta;
  const float* mass = a[14].data;
  const Refresh f(a[13].data, mass, d);
  const float *p = a[0].data, *v = a[1].data, *xi = a[2].data, *vr_in = inside ? nullptr : a[3].data,
              *r = has_r ? a[4].data : nullptr, *lt0 = a[5].data, *li0 = a[6].data,
              *lt = a[7].data, *li = a[8].data, *st = a[9].data, *si = a[10].data;
  float *pl = a[15].data, *corr = a[16].data;
  for (size_t i = 0; i < nn; i++) {
    float kin0 = 0.0f, kin1 = 0.0f, back = 0.0f, fwd = 0.0f;
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      pl[k] = p[k] + half * (ca * si[k] + cb * st[k]);
      const float vr = vr_in ? vr_in[k] : f.eta * v[k] + f.c[j] * xi[k];
      const float u = v[k] - f.eta * vr - (r ? f.s[j] * r[k] : 0.0f);
      kin0 += v[k] * v[k] * f.inv_mass[j];
      kin1 += pl[k] * pl[k] * f.inv_mass[j];
      back += u * u / f.s[j];
      fwd += xi[k] * xi[k];
    }
    const float after = (ca * li[i] + cb * lt[i]) + (-0.5f * kin1);
    const float before = (ca * li0[i] + cb * lt0[i]) + (-0.5f * kin0);
    corr[i] = (after - before) + ((-0.5f * back) - (-0.5f * fwd));
  }
  return true;
}

bool uha_finish_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                     std::string* error) {
  if (num_ints != 4 || ints[0] < 0 || ints[1] < 1) {
    *error = "fused op: bad UHA sizes";
    return false;
  }
  const int64_t n = ints[0], d = ints[1];
  const bool inside = ints[2] != 0, has_r = ints[3] != 0;
  const size_t nd = n * d, nn = static_cast<size_t>(n), dd = static_cast<size_t>(d);
  if (!check(a, num_arrays, 31,
             {{0, nd}, {1, nd}, {2, nd}, {3, inside ? 0 : nd}, {4, has_r ? nd : 0}, {5, nn},
              {6, nn}, {7, nn}, {8, nn}, {9, nd}, {10, nd}, {11, 1}, {12, 1}, {13, 2}, {14, dd},
              {15, nd}, {16, nn}, {17, nd}, {18, nd}, {19, inside ? 0 : nd}, {20, has_r ? nd : 0},
              {21, nn}, {22, nn}, {23, nn}, {24, nn}, {25, nd}, {26, nd}, {27, 1}, {28, 1},
              {29, 2}, {30, dd}},
             error))
    return false;
  const float beta = a[11].data[0], eps = a[12].data[0], half = 0.5f * eps;
  const float ca = 1.0f - beta, cb = beta;
  const float* mass = a[14].data;
  const Refresh f(a[13].data, mass, d);
  const float *p = a[0].data, *v = a[1].data, *xi = a[2].data, *vr_in = inside ? nullptr : a[3].data,
              *r = has_r ? a[4].data : nullptr, *lt0 = a[5].data, *li0 = a[6].data,
              *lt = a[7].data, *li = a[8].data, *st = a[9].data, *si = a[10].data,
              *dpl = a[15].data, *om = a[16].data;
  float *dp = a[17].data, *dv = a[18].data, *dr = has_r ? a[20].data : nullptr,
        *dlt0 = a[21].data, *dli0 = a[22].data, *dlt = a[23].data, *dli = a[24].data,
        *dst = a[25].data, *dsi = a[26].data;
  std::vector<float> dvr_store(inside ? nd : 0);
  float* dvr = inside ? dvr_store.data() : a[19].data;
  double g_beta = 0.0, g_eps = 0.0, g_eta = 0.0, g_rho = 0.0;
  std::vector<double> g_mass(d, 0.0);
  for (size_t i = 0; i < nn; i++) {
    const float w = om[i];
    dlt[i] = w * cb;
    dli[i] = w * ca;
    dlt0[i] = -w * cb;
    dli0[i] = -w * ca;
    g_beta += static_cast<double>(w) * ((lt[i] - li[i]) - (lt0[i] - li0[i]));
    for (int64_t j = 0; j < d; j++) {
      const size_t k = i * d + j;
      const float im = f.inv_mass[j], s = f.s[j];
      const float g = ca * si[k] + cb * st[k];
      const float plk = p[k] + half * g;
      // -|p_L|^2_M / 2 and the half kick p_L = p + h g(z_L)
      const float pbar = dpl[k] - w * plk * im;
      g_mass[j] += 0.5 * w * plk * plk * im * im;
      dp[k] = pbar;
      dst[k] = pbar * half * cb;
      dsi[k] = pbar * half * ca;
      g_beta += static_cast<double>(pbar) * half * (st[k] - si[k]);
      g_eps += 0.5 * pbar * g;
      // +|v|^2_M / 2
      dv[k] = w * v[k] * im;
      g_mass[j] += -0.5 * w * v[k] * v[k] * im * im;
      // -|u|^2 / (2 s), u = v - eta v' - s r, s = rho M
      const float vr = vr_in ? vr_in[k] : f.eta * v[k] + f.c[j] * xi[k];
      const float rr = r ? r[k] : 0.0f;
      const float u = v[k] - f.eta * vr - s * rr;
      const float ubar = -w * u / s;
      dv[k] += ubar;
      dvr[k] = -f.eta * ubar;
      g_eta += static_cast<double>(ubar) * (-vr);
      if (dr) {
        dr[k] = w * u;
        g_rho += static_cast<double>(ubar) * (-mass[j] * rr);
        g_mass[j] += static_cast<double>(ubar) * (-f.rho * rr);
      }
      const double sbar = 0.5 * w * u * u / (static_cast<double>(s) * s);
      g_rho += sbar * mass[j];
      g_mass[j] += sbar * f.rho;
    }
  }
  if (inside) refresh_backward(f, mass, v, xi, dvr, dv, nn, d, &g_eta, &g_rho, g_mass.data());
  a[27].data[0] = static_cast<float>(g_beta);
  a[28].data[0] = static_cast<float>(g_eps);
  a[29].data[0] = static_cast<float>(g_eta);
  a[29].data[1] = static_cast<float>(g_rho);
  for (int64_t j = 0; j < d; j++) a[30].data[j] = static_cast<float>(g_mass[j]);
  return true;
}

}  // namespace anneal

// The differentiable UHA move: one transition of uncorrected Hamiltonian annealing on the geometric
// path from N(mean, diag(exp(logScale))^2) to a closed-form target, and its exact vector-Jacobian
// product, so that training differentiates through whole chains with one native call per step
// each way. The target's second derivatives enter through its Hessian-vector product.
//
// Forward, per particle (vectors of length d; M the diagonal mass; the refresh's decay eta and
// variance factor rho come in as one pair: eta and 1 - eta^2 for the exact refresh, 1 - h and 2h
// for LDVI's Euler step):
//   v' = eta v + sqrt(rho M) xi            (refreshed momentum; or given, with a learned network)
//   p_0 = v' + (eps/2) g(z_0),  g = (1 - beta) grad log q + beta grad log pi
//   z_l = z_{l-1} + eps p_{l-1} / M,  p_l = p_{l-1} + h_l g(z_l),  h_l = eps (l < L), eps/2 (l = L)
//   corr = [log gamma(z_L) - |p_L|^2_M / 2] - [log gamma(z_0) - |v|^2_M / 2]
//          - |v - eta v' - rho M r|^2 / (2 rho M) + |xi|^2 / 2   (r: MCD's correction, CMCD's control, or 0)
// outputs z_L, p_L, the path's densities and scores at z_L, and corr. The backward pass recomputes
// the trajectory of each block of particles and runs it in reverse.
//
// ints   [kind, n, d, L, refreshInside, hasR]
// arrays [params, mean, logScale, mass, beta, eps, [eta, rho], z, v, v' (or empty), xi, r (or empty),
//         logT, sT, logI, sI,  then forward outputs z', v', logT', sT', logI', sI', corr
//         or, for the gradient, their adjoints followed by the gradients
//         dmean, dlogScale, dmass, dbeta, deps, [deta, drho], dz, dv, dv' (or empty), dr (or empty),
//         dlogT, dsT, dlogI, dsI]
#include "fused_common.h"
#include "rng.h"

namespace anneal {
namespace {

using namespace fused;

struct MoveArgs {
  PathArgs p;
  int L;
  bool refresh_inside, has_r;
  float beta, a, b, eps, half, eta, rho;
  const float* mass;
  std::vector<float> inv_mass, back_var, refresh;
};

bool move_prefix(Layout& l, size_t num_arrays, MoveArgs* m) {
  if (l.num_ints != 6 || l.num_arrays != num_arrays) {
    *l.error = "fused op: wrong number of arguments";
    return false;
  }
  if (!path_prefix(l, &m->p)) return false;
  const size_t n = m->p.n;
  const int d = m->p.d;
  m->L = l.ints[3];
  m->refresh_inside = l.ints[4] != 0;
  m->has_r = l.ints[5] != 0;
  if (m->L < 1 || (m->refresh_inside && m->has_r)) {
    *l.error = "fused op: bad move options";
    return false;
  }
  const size_t nd = n * d;
  if (!l.length(3, d, "mass") || !l.length(4, 1, "beta") || !l.length(5, 1, "eps") ||
      !l.length(6, 2, "refresh factors") || !l.length(7, nd, "z") || !l.length(8, nd, "v") ||
      !l.length(9, m->refresh_inside ? 0 : nd, "refreshed momentum") || !l.length(10, nd, "xi") ||
      !l.length(11, m->has_r ? nd : 0, "correction") || !l.length(12, n, "logT") ||
      !l.length(13, nd, "sT") || !l.length(14, n, "logI") || !l.length(15, nd, "sI"))
    return false;
  m->beta = l.at(4)[0];
  m->a = 1.0f - m->beta;
  m->b = m->beta;
  m->eps = l.at(5)[0];
  m->half = 0.5f * m->eps;
  m->eta = l.at(6)[0];
  // A variance factor of 0 (eta saturated at 1 by a diverging step) gives non-finite weights, which
  // the trainer skips, as the op-by-op step does; it is not an argument error.
  m->rho = l.at(6)[1];
  m->mass = l.at(3);
  m->inv_mass.resize(d);
  m->back_var.resize(d);
  m->refresh.resize(d);
  for (int j = 0; j < d; j++) {
    m->inv_mass[j] = 1.0f / m->mass[j];
    m->back_var[j] = m->rho * m->mass[j];
    m->refresh[j] = std::sqrt(m->back_var[j]);
  }
  return true;
}

// The block's trajectory: positions and momenta at levels 0..L, scores and densities at 1..L.
struct Trajectory {
  std::vector<float*> z, p, st, si, lt, li;
};

// Forward pass on one block. In: z, v, vr (filled here when refreshing inside), xi, r (or null),
// sT0, sI0 blocks and lt0, li0 lanes. Fills the trajectory and the correction lanes.
template <typename T>
void move_forward(const MoveArgs& m, const Path<T>& path, Work& w, const float* z, const float* v,
                  float* vr, const float* xi, const float* mcd, const float* st0, const float* si0,
                  const float* lt0, const float* li0, Trajectory& tr, float* corr) {
  const int d = m.p.d;
  float* k0 = w.lane(0);
  float* f = w.lane(1);
  float* bq = w.lane(2);
  float* kl = w.lane(3);
  LANES k0[r] = 0.0f;
  for (int j = 0; j < d; j++) {
    const float c = m.refresh[j], s = m.back_var[j], im = m.inv_mass[j];
    const float* vj = v + j * W;
    float* vrj = vr + j * W;
    const float* xj = xi + j * W;
    const float* rj = mcd ? mcd + j * W : nullptr;
    if (m.refresh_inside) LANES vrj[r] = m.eta * vj[r] + c * xj[r];
    LANES {
      const float u = vj[r] - m.eta * vrj[r] - (rj ? s * rj[r] : 0.0f);
      const float prev_k0 = j == 0 ? 0.0f : k0[r];
      k0[r] = prev_k0 + vj[r] * vj[r] * im;
      f[r] = (j == 0 ? 0.0f : f[r]) + xj[r] * xj[r];
      bq[r] = (j == 0 ? 0.0f : bq[r]) + u * u / s;
    }
  }
  std::copy(z, z + d * W, tr.z[0]);
  for (int k = 0; k < d * W; k++) tr.p[0][k] = vr[k] + m.half * (m.a * si0[k] + m.b * st0[k]);
  for (int l = 1; l <= m.L; l++) {
    const float* zp = tr.z[l - 1];
    const float* pp = tr.p[l - 1];
    float* zl = tr.z[l];
    for (int j = 0; j < d; j++) {
      const float im = m.inv_mass[j];
      LANES zl[j * W + r] = zp[j * W + r] + m.eps * (pp[j * W + r] * im);
    }
    path.eval(w, zl, tr.lt[l], tr.st[l], tr.li[l], tr.si[l]);
    const float h = l == m.L ? m.half : m.eps;
    for (int k = 0; k < d * W; k++) tr.p[l][k] = pp[k] + h * (m.a * tr.si[l][k] + m.b * tr.st[l][k]);
  }
  const float* pl = tr.p[m.L];
  LANES kl[r] = 0.0f;
  for (int j = 0; j < d; j++) {
    const float im = m.inv_mass[j];
    LANES kl[r] += pl[j * W + r] * pl[j * W + r] * im;
  }
  const float* ltl = tr.lt[m.L];
  const float* lil = tr.li[m.L];
  LANES {
    const float after = (m.a * lil[r] + m.b * ltl[r]) + (-0.5f * kl[r]);
    const float before = (m.a * li0[r] + m.b * lt0[r]) + (-0.5f * k0[r]);
    corr[r] = (after - before) + ((-0.5f * bq[r]) - (-0.5f * f[r]));
  }
}

// Blocks of the work area: 0-9 inputs and adjoints, then the trajectory.
constexpr int kFixedBlocks = 14;
constexpr int kFixedLanes = 16;

Trajectory trajectory(Work& w, int L) {
  Trajectory t;
  t.z.resize(L + 1);
  t.p.resize(L + 1);
  t.st.resize(L + 1);
  t.si.resize(L + 1);
  t.lt.resize(L + 1);
  t.li.resize(L + 1);
  int b = kFixedBlocks, ln = kFixedLanes;
  for (int l = 0; l <= L; l++) {
    t.z[l] = w.block(b++);
    t.p[l] = w.block(b++);
    t.st[l] = w.block(b++);
    t.si[l] = w.block(b++);
    t.lt[l] = w.lane(ln++);
    t.li[l] = w.lane(ln++);
  }
  return t;
}

template <typename T>
Work make_work(const T& tg, int d, int L) {
  return Work(d, tg.work_size(), kFixedBlocks + 4 * (L + 1), kFixedLanes + 2 * (L + 1));
}

// Loads one block's inputs (rows [i0, i0 + rows)) into the work area's fixed blocks and runs the
// forward pass: the trajectory in `tr`, the correction in lane 6. Shared by the move and its
// gradient, which recomputes the forward pass.
template <typename T>
void forward_block(Layout& l, const MoveArgs& m, const Path<T>& path, Work& w, Trajectory& tr,
                   size_t i0, int rows) {
  const int d = m.p.d;
  float *zb = w.block(0), *vb = w.block(1), *vrb = w.block(2), *xb = w.block(3),
        *rb = w.block(4), *stb = w.block(5), *sib = w.block(6);
  float *ltb = w.lane(4), *lib = w.lane(5);
  load_block(l.at(7), i0, rows, d, zb);
  load_block(l.at(8), i0, rows, d, vb);
  if (!m.refresh_inside) load_block(l.at(9), i0, rows, d, vrb);
  load_block(l.at(10), i0, rows, d, xb);
  if (m.has_r) load_block(l.at(11), i0, rows, d, rb);
  load_block(l.at(13), i0, rows, d, stb);
  load_block(l.at(15), i0, rows, d, sib);
  load_lane(l.at(12), i0, rows, ltb);
  load_lane(l.at(14), i0, rows, lib);
  move_forward(m, path, w, zb, vb, vrb, xb, m.has_r ? rb : nullptr, stb, sib, ltb, lib, tr,
               w.lane(6));
}

}  // namespace

bool uha_move(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
              std::string* error) {
  Layout l{ints, num_ints, nullptr, 0, arrays, num_arrays, error};
  MoveArgs m;
  if (!move_prefix(l, 23, &m)) return false;
  const size_t n = m.p.n;
  const int d = m.p.d;
  const size_t nd = n * d;
  for (size_t i : {16, 17, 19, 21})
    if (!l.length(i, nd, "an output particle array")) return false;
  for (size_t i : {18, 20, 22})
    if (!l.length(i, n, "an output per-particle array")) return false;
  DiagGaussian q(d, l.at(1), l.at(2));
  with_target(m.p.target, [&](const auto& tg) {
    using T = std::decay_t<decltype(tg)>;
    const Path<T> path{tg, q, Mix(m.beta), d};
    for_rows(n, static_cast<size_t>(d) * m.L * 2, [&](int, size_t lo, size_t hi) {
      Work w = make_work(tg, d, m.L);
      Trajectory tr = trajectory(w, m.L);
      const float* cb = w.lane(6);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        forward_block(l, m, path, w, tr, i0, rows);
        store_block(tr.z[m.L], i0, rows, d, l.at(16));
        store_block(tr.p[m.L], i0, rows, d, l.at(17));
        store_lane(tr.lt[m.L], i0, rows, l.at(18));
        store_block(tr.st[m.L], i0, rows, d, l.at(19));
        store_lane(tr.li[m.L], i0, rows, l.at(20));
        store_block(tr.si[m.L], i0, rows, d, l.at(21));
        store_lane(cb, i0, rows, l.at(22));
      }
    });
  });
  return true;
}

bool uha_move_grad(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                   std::string* error) {
  Layout l{ints, num_ints, nullptr, 0, arrays, num_arrays, error};
  MoveArgs m;
  if (!move_prefix(l, 37, &m)) return false;
  const size_t n = m.p.n;
  const int d = m.p.d;
  const size_t nd = n * d;
  // Adjoints of the outputs (16-22), then the gradients (23-36).
  for (size_t i : {16, 17, 19, 21, 29, 30, 34, 36})
    if (!l.length(i, nd, "a particle array")) return false;
  for (size_t i : {18, 20, 22, 33, 35})
    if (!l.length(i, n, "a per-particle array")) return false;
  if (!l.length(23, d, "dmean") || !l.length(24, d, "dlogScale") || !l.length(25, d, "dmass") ||
      !l.length(26, 1, "dbeta") || !l.length(27, 1, "deps") || !l.length(28, 2, "drefresh") ||
      !l.length(31, m.refresh_inside ? 0 : nd, "dv'") || !l.length(32, m.has_r ? nd : 0, "dr"))
    return false;
  DiagGaussian q(d, l.at(1), l.at(2));
  const float* mean = l.at(1);
  // Per-thread sums of the parameter gradients: beta, eps, rho, eta (direct), then mass, mean and
  // logScale [d] each. Kept as W lanes while the blocks stream past (vector adds) and reduced
  // across lanes once at the end.
  const int threads = row_threads(n, static_cast<size_t>(d) * m.L * 4);
  const size_t slots = 4 + 3 * static_cast<size_t>(d);
  std::vector<double> sums(static_cast<size_t>(threads) * slots, 0.0);
  with_target(m.p.target, [&](const auto& tg) {
    using T = std::decay_t<decltype(tg)>;
    const Path<T> path{tg, q, Mix(m.beta), d};
    auto body = [&](int t, size_t lo, size_t hi) {
      std::vector<float> lanes(slots * W + 16, 0.0f);
      float* lane0 = lanes.data();
      lane0 += (16 - (reinterpret_cast<uintptr_t>(lane0) / sizeof(float)) % 16) % 16;
      auto G = [&](size_t slot) { return lane0 + slot * W; };
      float *g_beta = G(0), *g_eps = G(1), *g_rho = G(2), *g_eta = G(3);
      auto g_mass = [&](int j) { return G(4 + j); };
      auto g_mean = [&](int j) { return G(4 + d + j); };
      auto g_ls = [&](int j) { return G(4 + 2 * static_cast<size_t>(d) + j); };
      Work w = make_work(tg, d, m.L);
      Trajectory tr = trajectory(w, m.L);
      float *zb = w.block(0), *vb = w.block(1), *vrb = w.block(2), *xb = w.block(3),
            *rb = w.block(4), *stb = w.block(5), *sib = w.block(6);
      float *zbar = w.block(7), *pbar = w.block(8), *stbar = w.block(9), *sibar = w.block(10),
            *dvb = w.block(11), *dvrb = w.block(12), *hv = w.block(13);
      float *ltb = w.lane(4), *lib = w.lane(5), *cb = w.lane(6), *om = w.lane(7),
            *ltbar = w.lane(8), *libar = w.lane(9), *dlt0 = w.lane(10), *dli0 = w.lane(11);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        forward_block(l, m, path, w, tr, i0, rows);
        load_block(l.at(16), i0, rows, d, zbar);
        load_block(l.at(17), i0, rows, d, pbar);
        load_lane(l.at(18), i0, rows, ltbar);
        load_block(l.at(19), i0, rows, d, stbar);
        load_lane(l.at(20), i0, rows, libar);
        load_block(l.at(21), i0, rows, d, sibar);
        load_lane(l.at(22), i0, rows, om);
        // Padding lanes repeat the last particle: zero their adjoints so they add nothing.
        float mask[W];
        LANES mask[r] = r < rows ? 1.0f : 0.0f;
        LANES {
          om[r] *= mask[r];
          ltbar[r] *= mask[r];
          libar[r] *= mask[r];
        }
        for (int j = 0; j < d; j++) {
          float *zj = zbar + j * W, *pj = pbar + j * W, *tj = stbar + j * W, *ij = sibar + j * W;
          LANES {
            zj[r] *= mask[r];
            pj[r] *= mask[r];
            tj[r] *= mask[r];
            ij[r] *= mask[r];
          }
        }

        // (1) corr's end terms: a log q + b log pi at z_L (plus the outputs' own adjoints) and
        // at z_0 (the input caches).
        const float* ltl = tr.lt[m.L];
        const float* lil = tr.li[m.L];
        LANES {
          ltbar[r] += om[r] * m.b;
          libar[r] += om[r] * m.a;
          dlt0[r] = -om[r] * m.b;
          dli0[r] = -om[r] * m.a;
          g_beta[r] += om[r] * ((ltl[r] - lil[r]) - (ltb[r] - lib[r]));
        }

        // (2) kinetic terms -|p_L|^2_M/2 + |v|^2_M/2 and the refresh density -Bq/2, per coordinate.
        const float* pl = tr.p[m.L];
        for (int j = 0; j < d; j++) {
          const float im = m.inv_mass[j], s = m.back_var[j], mj = m.mass[j];
          float* gm = g_mass(j);
          LANES {
            const int k = j * W + r;
            const float v_ = vb[k];
            pbar[k] += -om[r] * pl[k] * im;
            float am = om[r] * 0.5f * (pl[k] * pl[k] - v_ * v_) * im * im;
            dvb[k] = om[r] * v_ * im;
            const float rr = m.has_r ? rb[k] : 0.0f;
            const float u = v_ - m.eta * vrb[k] - s * rr;
            const float ubar = -om[r] * u / s;
            dvb[k] += ubar;
            dvrb[k] = -m.eta * ubar;
            g_eta[r] += ubar * (-vrb[k]);  // d/d eta, directly (eta as v''s coefficient)
            float arho = 0.0f;
            if (m.has_r) {
              hv[k] = om[r] * u;  // d/dr, stored below
              arho += ubar * (-mj * rr);
              am += ubar * (-m.rho * rr);
            }
            const float sbar = om[r] * 0.5f * u * u / (s * s);
            arho += sbar * mj;
            am += sbar * m.rho;
            gm[r] += am;
            g_rho[r] += arho;
          }
        }
        if (m.has_r) store_block(hv, i0, rows, d, l.at(32));

        // (3) The leapfrog steps in reverse.
        for (int lv = m.L; lv >= 1; lv--) {
          const float h = lv == m.L ? m.half : m.eps;
          const float hfac = lv == m.L ? 0.5f : 1.0f;
          const float *stl = tr.st[lv], *sil = tr.si[lv], *zl = tr.z[lv], *pp = tr.p[lv - 1];
          // p_l = p_{l-1} + h g_l
          for (int j = 0; j < d; j++) {
            LANES {
              const int k = j * W + r;
              const float gl = m.a * sil[k] + m.b * stl[k];
              const float gbar = h * pbar[k];
              g_eps[r] += hfac * pbar[k] * gl;
              g_beta[r] += gbar * (stl[k] - sil[k]);
              sibar[k] += m.a * gbar;
              stbar[k] += m.b * gbar;
            }
          }
          // The path evaluated at z_l: pi's density and Hessian, q's closed form.
          tg.hvp(zl, stbar, hv, w.target());
          for (int j = 0; j < d; j++) {
            const float inv = q.inv_scale[j], iv = inv * inv, mu = mean[j];
            float *gmu = g_mean(j), *gls = g_ls(j);
            LANES {
              const int k = j * W + r;
              zbar[k] += ltbar[r] * stl[k] + hv[k] + libar[r] * sil[k] - sibar[k] * iv;
              const float u = (zl[k] - mu) * inv;
              gmu[r] += libar[r] * (-sil[k]) + sibar[k] * iv;
              gls[r] += libar[r] * (u * u - 1.0f) + sibar[k] * (-2.0f * sil[k]);
            }
          }
          // z_l = z_{l-1} + eps p_{l-1} / M
          for (int j = 0; j < d; j++) {
            const float im = m.inv_mass[j];
            float* gm = g_mass(j);
            LANES {
              const int k = j * W + r;
              pbar[k] += zbar[k] * m.eps * im;
              g_eps[r] += zbar[k] * pp[k] * im;
              gm[r] += -zbar[k] * m.eps * pp[k] * im * im;
            }
          }
          // Caches below level L are intermediate: their adjoints start from zero.
          std::fill(stbar, stbar + d * W, 0.0f);
          std::fill(sibar, sibar + d * W, 0.0f);
          LANES ltbar[r] = libar[r] = 0.0f;
        }

        // (4) p_0 = v' + (eps/2) g_0, g_0 from the input caches.
        for (int j = 0; j < d; j++) {
          LANES {
            const int k = j * W + r;
            const float g0 = m.a * sib[k] + m.b * stb[k];
            dvrb[k] += pbar[k];
            const float gbar = m.half * pbar[k];
            g_eps[r] += 0.5f * pbar[k] * g0;
            g_beta[r] += gbar * (stb[k] - sib[k]);
            sibar[k] = m.a * gbar;
            stbar[k] = m.b * gbar;
          }
        }

        // (5) v' = eta v + sqrt(rho M) xi, when refreshed here.
        if (m.refresh_inside) {
          for (int j = 0; j < d; j++) {
            const float c = m.refresh[j], mj = m.mass[j];
            const float to_rho = mj / (2.0f * c), to_mass = m.rho / (2.0f * c);
            float* gm = g_mass(j);
            LANES {
              const int k = j * W + r;
              dvb[k] += m.eta * dvrb[k];
              g_eta[r] += dvrb[k] * vb[k];
              const float cbar = dvrb[k] * xb[k];
              g_rho[r] += cbar * to_rho;
              gm[r] += cbar * to_mass;
            }
          }
        } else {
          store_block(dvrb, i0, rows, d, l.at(31));
        }
        store_block(zbar, i0, rows, d, l.at(29));
        store_block(dvb, i0, rows, d, l.at(30));
        store_lane(dlt0, i0, rows, l.at(33));
        store_block(stbar, i0, rows, d, l.at(34));
        store_lane(dli0, i0, rows, l.at(35));
        store_block(sibar, i0, rows, d, l.at(36));
      }
      double* g = sums.data() + static_cast<size_t>(t) * slots;
      for (size_t i = 0; i < slots; i++) {
        double s = 0.0;
        for (int r = 0; r < W; r++) s += G(i)[r];
        g[i] = s;
      }
    };
    if (threads == 1) {
      body(0, 0, n);
    } else {
      parallel_for(threads, [&](int t) { body(t, n * t / threads, n * (t + 1) / threads); });
    }
  });
  std::vector<double> total(slots, 0.0);
  for (int t = 0; t < threads; t++)
    for (size_t i = 0; i < slots; i++) total[i] += sums[static_cast<size_t>(t) * slots + i];
  for (int j = 0; j < d; j++) {
    l.at(25)[j] = static_cast<float>(total[4 + j]);
    l.at(23)[j] = static_cast<float>(total[4 + d + j]);
    l.at(24)[j] = static_cast<float>(total[4 + 2 * d + j]);
  }
  l.at(26)[0] = static_cast<float>(total[0]);
  l.at(27)[0] = static_cast<float>(total[1]);
  l.at(28)[0] = static_cast<float>(total[3]);
  l.at(28)[1] = static_cast<float>(total[2]);
  return true;
}

}  // namespace anneal

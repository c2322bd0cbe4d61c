// Fused annealing steps for evaluation (no gradients): a whole ULA, HMC, MALA or UHA transition of the
// geometric path from N(mean, diag(exp(logScale))^2) to a closed-form target, per particle, with
// the same arithmetic as the TF.js kernels in src/annealing/kernels (float32, scalars rounded to
// float32 as TF.js rounds them), so the two paths agree to float32 accuracy.
#include "fused.h"

#include "fused_common.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "gemm.h"
#include "block.h"
#include "pool.h"
#include "rng.h"
#include "targets.h"
#include "vecmath.h"

namespace anneal {
namespace {

using namespace fused;

struct UlaParams {
  float step, noise, minus4d;
  explicit UlaParams(double delta)
      : step(static_cast<float>(delta)),
        noise(static_cast<float>(std::sqrt(2.0 * delta))),
        minus4d(static_cast<float>(-4.0 * delta)) {}
};

// ULA with its time reversal as backward kernel; writes the log-weight correction into corr.
template <typename T>
void ula_block(const Path<T>& p, Work& w, BlockState& s, const float* eps, const UlaParams& u,
               float* corr) {
  const int d = p.d;
  float *zn = w.block(0), *sn = w.block(1), *in = w.block(2);
  float *ltn = w.lane(0), *lin = w.lane(1), *back = w.lane(2), *fwd = w.lane(3);
  for (int k = 0; k < d * W; k++) zn[k] = (s.z[k] + u.step * p.drift(s.si, s.st, k)) + u.noise * eps[k];
  p.eval(w, zn, ltn, sn, lin, in);
  LANES back[r] = fwd[r] = 0.0f;
  for (int j = 0; j < d; j++)
    LANES {
      const int k = j * W + r;
      const float res = (s.z[k] - zn[k]) - u.step * p.drift(in, sn, k);
      back[r] += res * res;
      fwd[r] += eps[k] * eps[k];
    }
  LANES {
    corr[r] = (p.log_gamma(lin[r], ltn[r]) - p.log_gamma(s.li[r], s.lt[r])) +
              (back[r] / u.minus4d - (-0.5f * fwd[r]));
    s.lt[r] = ltn[r];
    s.li[r] = lin[r];
  }
  std::copy(zn, zn + d * W, s.z);
  std::copy(sn, sn + d * W, s.st);
  std::copy(in, in + d * W, s.si);
}

// What an HMC block sums over its first `rows` particles: acceptance probabilities, and the
// diverged proposals, whose energy error exceeds kDivergence or is NaN (the usual HMC criterion;
// such a proposal is as good as rejected).
constexpr float kDivergence = 1000.0f;
struct HmcTally {
  double accepted = 0.0;
  double diverged = 0.0;
  void add(const HmcTally& o) {
    accepted += o.accepted;
    diverged += o.diverged;
  }
};

// A proposal for a block of W particles: positions, scores and log densities of both ends.
struct Proposal {
  const float *z, *st, *si, *lt, *li;
};

// The Metropolis decision of MH-corrected kernels (HMC, MALA) for a block: lane r takes its
// proposal where log u_r < la_r (NaN compares false: a diverged proposal is rejected). Returns the
// acceptance probabilities and diverged proposals (energy error above kDivergence, or NaN) of the
// first `rows` lanes.
HmcTally mh_accept(BlockState& s, const float* la, const float* u, const Proposal& q, int d,
                   int rows) {
  bool take[W];
  LANES take[r] = vlog(u[r]) < la[r];
  HmcTally tally;
  for (int r = 0; r < rows; r++) {
    if (!(la[r] >= -kDivergence)) tally.diverged += 1.0;
    if (!std::isnan(la[r])) tally.accepted += std::min(1.0f, vexp(la[r]));
  }
  for (int k = 0; k < d * W; k++) {
    const bool tk = take[k % W];
    s.z[k] = tk ? q.z[k] : s.z[k];
    s.st[k] = tk ? q.st[k] : s.st[k];
    s.si[k] = tk ? q.si[k] : s.si[k];
  }
  LANES {
    s.lt[r] = take[r] ? q.lt[r] : s.lt[r];
    s.li[r] = take[r] ? q.li[r] : s.li[r];
  }
  return tally;
}

// MH-corrected HMC (identity mass, L leapfrog steps). With `scale` (d values, or null) coordinate
// j steps by eps * scale[j]: the same dynamics as a diagonal mass diag(1 / scale^2).
template <typename T>
HmcTally hmc_block(const Path<T>& p, Work& w, BlockState& s, const float* p0, const float* u,
                   double eps_d, int L, int rows, const float* scale = nullptr) {
  const int d = p.d;
  const float eps = static_cast<float>(eps_d), half = static_cast<float>(0.5 * eps_d);
  float *zc = w.block(0), *pc = w.block(1), *sc = w.block(2), *ic = w.block(3);
  float *ltc = w.lane(0), *lic = w.lane(1), *k0 = w.lane(2), *k1 = w.lane(3), *la = w.lane(4);
  if (scale == nullptr) {
    for (int k = 0; k < d * W; k++) {
      zc[k] = s.z[k];
      pc[k] = p0[k] + half * p.drift(s.si, s.st, k);
    }
    for (int step = 1; step <= L; step++) {
      for (int k = 0; k < d * W; k++) zc[k] = zc[k] + eps * pc[k];
      p.eval(w, zc, ltc, sc, lic, ic);
      const float h = step == L ? half : eps;
      for (int k = 0; k < d * W; k++) pc[k] = pc[k] + h * p.drift(ic, sc, k);
    }
  } else {
    for (int j = 0; j < d; j++) {
      const float hj = half * scale[j];
      for (int r = 0; r < W; r++) {
        const int k = j * W + r;
        zc[k] = s.z[k];
        pc[k] = p0[k] + hj * p.drift(s.si, s.st, k);
      }
    }
    for (int step = 1; step <= L; step++) {
      for (int j = 0; j < d; j++) {
        const float ej = eps * scale[j];
        for (int r = 0; r < W; r++) zc[j * W + r] = zc[j * W + r] + ej * pc[j * W + r];
      }
      p.eval(w, zc, ltc, sc, lic, ic);
      const float h = step == L ? half : eps;
      for (int j = 0; j < d; j++) {
        const float hj = h * scale[j];
        for (int r = 0; r < W; r++) pc[j * W + r] = pc[j * W + r] + hj * p.drift(ic, sc, j * W + r);
      }
    }
  }
  LANES k0[r] = k1[r] = 0.0f;
  for (int j = 0; j < d; j++)
    LANES {
      k0[r] += p0[j * W + r] * p0[j * W + r];
      k1[r] += pc[j * W + r] * pc[j * W + r];
    }
  LANES la[r] = (p.log_gamma(lic[r], ltc[r]) - p.log_gamma(s.li[r], s.lt[r])) + 0.5f * (k0[r] - k1[r]);
  return mh_accept(s, la, u, Proposal{zc, sc, ic, ltc, lic}, d, rows);
}

// MH-adjusted Langevin: the ULA proposal, accepted with the Metropolis-Hastings ratio of gamma_k
// and the two Langevin proposal densities (their variance 2 delta cancels).
template <typename T>
HmcTally mala_block(const Path<T>& p, Work& w, BlockState& s, const float* eps, const float* u,
                    const UlaParams& m, int rows) {
  const int d = p.d;
  float *zn = w.block(0), *sn = w.block(1), *in = w.block(2);
  float *ltn = w.lane(0), *lin = w.lane(1), *back = w.lane(2), *fwd = w.lane(3), *la = w.lane(4);
  for (int k = 0; k < d * W; k++) zn[k] = (s.z[k] + m.step * p.drift(s.si, s.st, k)) + m.noise * eps[k];
  p.eval(w, zn, ltn, sn, lin, in);
  LANES back[r] = fwd[r] = 0.0f;
  for (int j = 0; j < d; j++)
    LANES {
      const int k = j * W + r;
      const float res = (s.z[k] - zn[k]) - m.step * p.drift(in, sn, k);
      back[r] += res * res;
      fwd[r] += eps[k] * eps[k];
    }
  LANES la[r] = (p.log_gamma(lin[r], ltn[r]) - p.log_gamma(s.li[r], s.lt[r])) +
                (back[r] / m.minus4d - (-0.5f * fwd[r]));
  return mh_accept(s, la, u, Proposal{zn, sn, in, ltn, lin}, d, rows);
}

struct UhaParams {
  float eps, half, eta;
  const float* mass;
  std::vector<float> refresh, back_var, inv_mass;
  UhaParams(double e, double eta_d, const float* m, int d)
      : eps(static_cast<float>(e)),
        half(static_cast<float>(0.5 * e)),
        eta(static_cast<float>(eta_d)),
        mass(m),
        refresh(d),
        back_var(d),
        inv_mass(d) {
    const float rho = 1.0f - eta * eta;
    for (int j = 0; j < d; j++) {
      back_var[j] = rho * mass[j];
      refresh[j] = std::sqrt(back_var[j]);
      inv_mass[j] = 1.0f / mass[j];
    }
  }
};

// UHA: partial momentum refresh, L leapfrog steps with diagonal mass, no accept/reject.
template <typename T>
void uha_block(const Path<T>& p, Work& w, BlockState& s, const float* xi, const UhaParams& u,
               int L, float* corr) {
  const int d = p.d;
  float *pc = w.block(0), *sc = w.block(1), *ic = w.block(2);
  float *fwd = w.lane(0), *back = w.lane(1), *kin0 = w.lane(2), *kin1 = w.lane(3);
  float *lt0 = w.lane(4), *li0 = w.lane(5);
  LANES {
    fwd[r] = back[r] = kin0[r] = kin1[r] = 0.0f;
    lt0[r] = s.lt[r];
    li0[r] = s.li[r];
  }
  for (int j = 0; j < d; j++)
    LANES {
      const int k = j * W + r;
      const float vr = u.eta * s.v[k] + u.refresh[j] * xi[k];
      pc[k] = vr + u.half * p.drift(s.si, s.st, k);
      fwd[r] += xi[k] * xi[k];
      const float res = s.v[k] - u.eta * vr;
      back[r] += res * res / u.back_var[j];
      kin0[r] += s.v[k] * s.v[k] * u.inv_mass[j];
    }
  for (int step = 1; step <= L; step++) {
    for (int j = 0; j < d; j++)
      LANES {
        const int k = j * W + r;
        s.z[k] = s.z[k] + u.eps * (pc[k] / u.mass[j]);
      }
    p.eval(w, s.z, s.lt, sc, s.li, ic);
    const float h = step == L ? u.half : u.eps;
    for (int k = 0; k < d * W; k++) pc[k] = pc[k] + h * p.drift(ic, sc, k);
  }
  for (int j = 0; j < d; j++)
    LANES kin1[r] += pc[j * W + r] * pc[j * W + r] * u.inv_mass[j];
  LANES {
    const float after = p.log_gamma(s.li[r], s.lt[r]) + (-0.5f * kin1[r]);
    const float before = p.log_gamma(li0[r], lt0[r]) + (-0.5f * kin0[r]);
    corr[r] = (after - before) + ((-0.5f * back[r]) - (-0.5f * fwd[r]));
  }
  std::copy(pc, pc + d * W, s.v);
  std::copy(sc, sc + d * W, s.st);
  std::copy(ic, ic + d * W, s.si);
}

// ---- Per-step ops: row-major tensors in and out, one transition each. ----

// Loads/stores one block of a row-major state; `v` may be null.
struct RowState {
  const float *z, *lt, *st, *li, *si, *v;
};
struct RowOut {
  float *z, *lt, *st, *li, *si, *v;
};

struct BlockBuffers {
  Scratch blocks;
  float lanes[2 * W + 16];
  BlockState s;
  BlockBuffers(int d) : blocks(d, 4) {
    float* base = lanes + (16 - (reinterpret_cast<uintptr_t>(lanes) / sizeof(float)) % 16) % 16;
    s = BlockState{blocks.block(0), blocks.block(1), blocks.block(2), blocks.block(3), base,
                   base + W};
  }
  void load(const RowState& r, size_t i0, int rows, int d) {
    load_block(r.z, i0, rows, d, s.z);
    load_block(r.st, i0, rows, d, s.st);
    load_block(r.si, i0, rows, d, s.si);
    if (r.v) load_block(r.v, i0, rows, d, s.v);
    load_lane(r.lt, i0, rows, s.lt);
    load_lane(r.li, i0, rows, s.li);
  }
  void store(const RowOut& o, size_t i0, int rows, int d) {
    store_block(s.z, i0, rows, d, o.z);
    store_block(s.st, i0, rows, d, o.st);
    store_block(s.si, i0, rows, d, o.si);
    if (o.v) store_block(s.v, i0, rows, d, o.v);
    store_lane(s.lt, i0, rows, o.lt);
    store_lane(s.li, i0, rows, o.li);
  }
};

bool evaluate(Layout& l) {
  PathArgs p;
  if (!l.counts(3, 0, 8) || !path_prefix(l, &p)) return false;
  const size_t n = p.n;
  const int d = p.d;
  if (!l.length(3, n * d, "z") || !l.length(4, n, "logTarget") ||
      !l.length(5, n * d, "scoreTarget") || !l.length(6, n, "logInitial") ||
      !l.length(7, n * d, "scoreInitial"))
    return false;
  DiagGaussian q(d, l.at(1), l.at(2));
  const float* z = l.at(3);
  RowOut out{nullptr, l.at(4), l.at(5), l.at(6), l.at(7), nullptr};
  with_target(p.target, [&](const auto& tg) {
    Path<std::decay_t<decltype(tg)>> path{tg, q, Mix(1.0), d};
    for_rows(n, d, [&](int, size_t lo, size_t hi) {
      Work w(d, tg.work_size());
      BlockBuffers b(d);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        load_block(z, i0, rows, d, b.s.z);
        path.eval(w, b.s.z, b.s.lt, b.s.st, b.s.li, b.s.si);
        store_block(b.s.st, i0, rows, d, out.st);
        store_block(b.s.si, i0, rows, d, out.si);
        store_lane(b.s.lt, i0, rows, out.lt);
        store_lane(b.s.li, i0, rows, out.li);
      }
    });
  });
  return true;
}

bool ula_step(Layout& l) {
  PathArgs p;
  if (!l.counts(3, 2, 15) || !path_prefix(l, &p)) return false;
  const size_t n = p.n;
  const int d = p.d;
  for (size_t r : {3, 5, 7, 8, 9, 11, 13})
    if (!l.length(r, n * d, "a particle array")) return false;
  for (size_t r : {4, 6, 10, 12, 14})
    if (!l.length(r, n, "a per-particle array")) return false;
  DiagGaussian q(d, l.at(1), l.at(2));
  const UlaParams u(l.scalars[1]);
  const RowState in{l.at(3), l.at(4), l.at(5), l.at(6), l.at(7), nullptr};
  const float* eps = l.at(8);
  const RowOut out{l.at(9), l.at(10), l.at(11), l.at(12), l.at(13), nullptr};
  float* corr = l.at(14);
  with_target(p.target, [&](const auto& tg) {
    Path<std::decay_t<decltype(tg)>> path{tg, q, Mix(l.scalars[0]), d};
    for_rows(n, d, [&](int, size_t lo, size_t hi) {
      Work w(d, tg.work_size());
      BlockBuffers b(d);
      float* eb = w.block(7);
      float* cb = w.lane(7);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        b.load(in, i0, rows, d);
        load_block(eps, i0, rows, d, eb);
        ula_block(path, w, b.s, eb, u, cb);
        b.store(out, i0, rows, d);
        store_lane(cb, i0, rows, corr);
      }
    });
  });
  return true;
}

// The layout of a Metropolis-corrected step (HMC, MALA): ints [kind, n, d, ...], scalars [beta,
// step size], arrays [params, mean, logScale, z, logT, sT, logI, sI, normals [n, d], uniforms [n],
// (HMC: per-coordinate step scale [d]), z', logT', sT', logI', sI', tally [2]]; `o` is 1 where the
// scale is there, shifting the outputs by one.
bool mh_layout(Layout& l, size_t num_ints, PathArgs* p, size_t o = 0) {
  if (!l.counts(num_ints, 2, 16 + o) || !path_prefix(l, p)) return false;
  const size_t n = p->n;
  const int d = p->d;
  for (size_t r : {size_t{3}, size_t{5}, size_t{7}, size_t{8}, 10 + o, 12 + o, 14 + o})
    if (!l.length(r, n * d, "a particle array")) return false;
  for (size_t r : {size_t{4}, size_t{6}, size_t{9}, 11 + o, 13 + o})
    if (!l.length(r, n, "a per-particle array")) return false;
  // The step scale: d values, or none (identity mass, the unscaled loop).
  if (o == 1 && l.arrays[10].length != 0 && !l.length(10, d, "the step scale")) return false;
  return l.length(15 + o, 2, "acceptance and divergences");
}

// Runs `block` (path, work, block state, normals, uniforms, rows) -> HmcTally over blocks of W
// particles, `work` the arithmetic per particle for the thread split, and writes the tally: the
// mean acceptance probability and the count of diverged proposals.
template <typename Block>
void mh_rows(Layout& l, const PathArgs& p, size_t work, Block block, size_t o = 0) {
  const size_t n = p.n;
  const int d = p.d;
  DiagGaussian q(d, l.at(1), l.at(2));
  const RowState in{l.at(3), l.at(4), l.at(5), l.at(6), l.at(7), nullptr};
  const float *noise = l.at(8), *u = l.at(9);
  const RowOut out{l.at(10 + o), l.at(11 + o), l.at(12 + o), l.at(13 + o), l.at(14 + o), nullptr};
  std::vector<HmcTally> partial(row_threads(n, work));
  with_target(p.target, [&](const auto& tg) {
    Path<std::decay_t<decltype(tg)>> path{tg, q, Mix(l.scalars[0]), d};
    for_rows(n, work, [&](int t, size_t lo, size_t hi) {
      Work w(d, tg.work_size());
      BlockBuffers b(d);
      float* nb = w.block(7);
      float* ub = w.lane(7);
      HmcTally tally;
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        b.load(in, i0, rows, d);
        load_block(noise, i0, rows, d, nb);
        load_lane(u, i0, rows, ub);
        tally.add(block(path, w, b.s, nb, ub, rows));
        b.store(out, i0, rows, d);
      }
      partial[t] = tally;
    });
  });
  HmcTally total;
  for (const HmcTally& x : partial) total.add(x);
  l.at(15 + o)[0] = n > 0 ? static_cast<float>(total.accepted / static_cast<double>(n)) : 0.0f;
  l.at(15 + o)[1] = static_cast<float>(total.diverged);
}

bool hmc_step(Layout& l) {
  PathArgs p;
  if (!mh_layout(l, 4, &p, 1)) return false;
  const int L = l.ints[3];
  if (L < 1) {
    *l.error = "fused op: leapfrog steps must be >= 1";
    return false;
  }
  const double eps = l.scalars[1];
  const float* scale = l.arrays[10].length == 0 ? nullptr : l.at(10);
  mh_rows(l, p, static_cast<size_t>(p.d) * L,
          [&](const auto& path, Work& w, BlockState& s, const float* p0, const float* u, int rows) {
            return hmc_block(path, w, s, p0, u, eps, L, rows, scale);
          },
          1);
  return true;
}

bool mala_step(Layout& l) {
  PathArgs p;
  if (!mh_layout(l, 3, &p)) return false;
  const UlaParams m(l.scalars[1]);
  mh_rows(l, p, static_cast<size_t>(p.d),
          [&](const auto& path, Work& w, BlockState& s, const float* eps, const float* u,
              int rows) { return mala_block(path, w, s, eps, u, m, rows); });
  return true;
}

bool uha_step(Layout& l) {
  PathArgs p;
  if (!l.counts(4, 3, 18) || !path_prefix(l, &p)) return false;
  const size_t n = p.n;
  const int d = p.d;
  const int L = l.ints[3];
  if (L < 1) {
    *l.error = "fused op: leapfrog steps must be >= 1";
    return false;
  }
  if (!l.length(3, d, "mass")) return false;
  for (size_t r : {4, 5, 7, 9, 10, 11, 12, 14, 16})
    if (!l.length(r, n * d, "a particle array")) return false;
  for (size_t r : {6, 8, 13, 15, 17})
    if (!l.length(r, n, "a per-particle array")) return false;
  DiagGaussian q(d, l.at(1), l.at(2));
  const UhaParams u(l.scalars[1], l.scalars[2], l.at(3), d);
  const RowState in{l.at(4), l.at(6), l.at(7), l.at(8), l.at(9), l.at(5)};
  const float* xi = l.at(10);
  const RowOut out{l.at(11), l.at(13), l.at(14), l.at(15), l.at(16), l.at(12)};
  float* corr = l.at(17);
  with_target(p.target, [&](const auto& tg) {
    Path<std::decay_t<decltype(tg)>> path{tg, q, Mix(l.scalars[0]), d};
    for_rows(n, static_cast<size_t>(d) * L, [&](int, size_t lo, size_t hi) {
      Work w(d, tg.work_size());
      BlockBuffers b(d);
      float* xb = w.block(7);
      float* cb = w.lane(7);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        b.load(in, i0, rows, d);
        load_block(xi, i0, rows, d, xb);
        uha_block(path, w, b.s, xb, u, L, cb);
        b.store(out, i0, rows, d);
        store_lane(cb, i0, rows, corr);
      }
    });
  });
  return true;
}

// [ESS fraction, log mean exp, acceptance or -1, count of NaN/+Inf, -1, diverged or -1] of
// log-weights w [n], the ESS averaged over systems of g particles (one system when g = n);
// `acceptance` and `diverged` are the MH kernel's, -1 for a kernel without accept/reject.
void weight_stats_of(const float* w, int64_t n, int64_t g, float acceptance, float diverged,
                     float* out) {
  auto lse_pair = [&](int64_t lo, int64_t hi, double* lse1, double* lse2) {
    double m = -INFINITY;
    bool nan = false;
    for (int64_t i = lo; i < hi; i++) {
      if (std::isnan(w[i])) nan = true;
      m = std::max(m, static_cast<double>(w[i]));
    }
    if (nan) {
      *lse1 = *lse2 = NAN;
      return;
    }
    if (!std::isfinite(m)) {  // all -inf (or some +inf): the statistics are not finite
      *lse1 = m == INFINITY ? INFINITY : -INFINITY;
      *lse2 = *lse1;
      return;
    }
    double s1 = 0.0, s2 = 0.0;
    for (int64_t i = lo; i < hi; i++) {
      const double x = std::exp(static_cast<double>(w[i]) - m);
      s1 += x;
      s2 += x * x;
    }
    *lse1 = m + std::log(s1);
    *lse2 = 2.0 * m + std::log(s2);
  };
  double ess = 0.0;
  const int64_t groups = n / g;
  for (int64_t k = 0; k < groups; k++) {
    double a, b;
    lse_pair(k * g, (k + 1) * g, &a, &b);
    ess += std::exp(2.0 * a - b) / static_cast<double>(g);
  }
  double a, b;
  lse_pair(0, n, &a, &b);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) bad += std::isnan(w[i]) || w[i] == INFINITY;
  out[0] = static_cast<float>(ess / static_cast<double>(groups));
  out[1] = static_cast<float>(a - std::log(static_cast<double>(n)));
  out[2] = acceptance;
  out[3] = static_cast<float>(bad);
  out[4] = -1.0f;
  out[5] = diverged;
}

bool weight_stats(Layout& l) {
  if (!l.counts(3, 0, 3)) return false;
  const int64_t n = l.ints[0], g = l.ints[1];
  const bool has_acceptance = l.ints[2] != 0;
  if (n < 1 || g < 1 || n % g != 0) {
    *l.error = "fused op: bad sizes for weight statistics";
    return false;
  }
  if (!l.length(0, n, "logW") ||
      !l.length(1, has_acceptance ? 2 : 0, "acceptance and divergences") ||
      !l.length(2, kReadings, "output"))
    return false;
  weight_stats_of(l.at(0), n, g, has_acceptance ? l.at(1)[0] : -1.0f,
                  has_acceptance ? l.at(1)[1] : -1.0f, l.at(2));
  return true;
}

// ---- A whole stretch of an AIS chain in one call, particles kept in blocks throughout. ----
//
// ints    [kind, n, d, kernel (ChainKernel), leapfrog L, steps S, group size]
// scalars [beta_0 .. beta_S, stepSize_1 .. stepSize_S, eta, counter, then per lane key0, key1]
// arrays  [params, mean, logScale, mass (d, UHA; else empty),
//          z, logT, sT, logI, sI, v (UHA; else empty), logW,
//          z', logT', sT', logI', sI', v', logW', stats (S x 6)]
// Each step adds the AIS increment (beta_s - beta_{s-1}) (log pi - log q), draws its noise from
// the random stream exactly as rng.ts would (ULA and UHA: one draw of normals; HMC and MALA:
// normals, then uniforms; a joint stream's lane b fills rows [b n / lanes, (b + 1) n / lanes) from its own key),
// moves the particles, adds the kernel's correction, and records the weight statistics.
bool ais_chain(Layout& l) {
  if (l.num_ints != 7 || l.num_arrays != 19) {
    *l.error = "fused op: wrong number of arguments";
    return false;
  }
  PathArgs p;
  if (!path_prefix(l, &p)) return false;
  const size_t n = p.n;
  const int d = p.d;
  const int kernel_id = l.ints[3], L = l.ints[4], S = l.ints[5], g = l.ints[6];
  const size_t fixed = static_cast<size_t>(2 * S + 1 + 2);
  const size_t lanes = l.num_scalars > fixed ? (l.num_scalars - fixed) / 2 : 0;
  if (kernel_id < 0 || kernel_id >= kChainKernels || L < 1 || S < 1 || g < 1 || n == 0 || n % g != 0 ||
      lanes < 1 || l.num_scalars != fixed + 2 * lanes || n % lanes != 0) {
    *l.error = "fused op: bad chain sizes";
    return false;
  }
  const size_t per_lane = n / lanes;
  const auto kernel = static_cast<ChainKernel>(kernel_id);
  const bool uha = kernel == ChainKernel::Uha;
  // Metropolis-corrected kernels draw uniforms after the normals and tally acceptances.
  const bool mh = kernel == ChainKernel::Hmc || kernel == ChainKernel::Mala;
  const size_t nd = n * d;
  if (!l.length(3, uha ? d : 0, "mass") || !l.length(4, nd, "z") || !l.length(5, n, "logT") ||
      !l.length(6, nd, "sT") || !l.length(7, n, "logI") || !l.length(8, nd, "sI") ||
      !l.length(9, uha ? nd : 0, "v") || !l.length(10, n, "logW") || !l.length(11, nd, "z'") ||
      !l.length(12, n, "logT'") || !l.length(13, nd, "sT'") || !l.length(14, n, "logI'") ||
      !l.length(15, nd, "sI'") || !l.length(16, uha ? nd : 0, "v'") ||
      !l.length(17, n, "logW'") || !l.length(18, static_cast<size_t>(S) * kReadings, "stats"))
    return false;
  const double* betas = l.scalars;
  const double* steps = l.scalars + S + 1;
  const double eta = l.scalars[2 * S + 1];
  double counter = l.scalars[2 * S + 2];
  const double* keys = l.scalars + 2 * S + 3;
  auto lane_key = [&](size_t lane, int which) {
    return static_cast<uint32_t>(keys[2 * lane + which]);
  };
  DiagGaussian q(d, l.at(1), l.at(2));

  // Blocked state: block b of each array holds particles [b W, b W + W).
  const size_t nb = (n + W - 1) / W;
  const size_t bs = static_cast<size_t>(d) * W;
  std::vector<float> store(nb * bs * (uha ? 4 : 3) + nb * W * 3 + 64);
  float* base = store.data();
  base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
  float* Z = base;
  float* ST = Z + nb * bs;
  float* SI = ST + nb * bs;
  float* V = uha ? SI + nb * bs : nullptr;
  float* LT = (uha ? V : SI) + nb * bs;
  float* LI = LT + nb * W;
  float* LW = LI + nb * W;
  auto rows_of = [&](size_t b) { return static_cast<int>(std::min<size_t>(W, n - b * W)); };
  for (size_t b = 0; b < nb; b++) {
    const int rows = rows_of(b);
    load_block(l.at(4), b * W, rows, d, Z + b * bs);
    load_block(l.at(6), b * W, rows, d, ST + b * bs);
    load_block(l.at(8), b * W, rows, d, SI + b * bs);
    if (uha) load_block(l.at(9), b * W, rows, d, V + b * bs);
    load_lane(l.at(5), b * W, rows, LT + b * W);
    load_lane(l.at(7), b * W, rows, LI + b * W);
    load_lane(l.at(10), b * W, rows, LW + b * W);
  }
  std::vector<float> noise(nd), uniforms(mh ? n : 0), logw(n);
  const int threads = row_threads(nb, bs * L * 4);
  std::vector<HmcTally> accept(threads);
  float* stats = l.at(18);

  with_target(p.target, [&](const auto& tg) {
    using T = std::decay_t<decltype(tg)>;
    std::vector<Work> works;
    works.reserve(threads);
    for (int t = 0; t < threads; t++) works.emplace_back(d, tg.work_size());
    const float* mass = uha ? l.at(3) : nullptr;
    for (int s = 1; s <= S; s++) {
      const Path<T> path{tg, q, Mix(betas[s]), d};
      const float increment = static_cast<float>(betas[s] - betas[s - 1]);
      for (size_t lane = 0; lane < lanes; lane++)
        normals_f32(lane_key(lane, 0), lane_key(lane, 1), counter,
                    noise.data() + lane * per_lane * d, per_lane * d);
      counter += 1;
      if (mh) {
        for (size_t lane = 0; lane < lanes; lane++)
          uniforms_f32(lane_key(lane, 0), lane_key(lane, 1), counter, 0.0, 1.0,
                       uniforms.data() + lane * per_lane, per_lane);
        counter += 1;
      }
      const UlaParams ula(steps[s - 1]);
      const UhaParams uhp(steps[s - 1], eta, uha ? mass : l.at(1), uha ? d : 0);
      auto body = [&](int t, size_t b0, size_t b1) {
        Work& w = works[t];
        float* nb_ = w.block(7);
        float* ub = w.lane(6);
        float* corr = w.lane(7);
        HmcTally tally;
        for (size_t b = b0; b < b1; b++) {
          const int rows = rows_of(b);
          BlockState st{Z + b * bs, ST + b * bs, SI + b * bs, uha ? V + b * bs : nullptr,
                        LT + b * W, LI + b * W};
          float* lw = LW + b * W;
          LANES lw[r] = lw[r] + increment * (st.lt[r] - st.li[r]);
          load_block(noise.data(), b * W, rows, d, nb_);
          if (kernel == ChainKernel::Ula) {
            ula_block(path, w, st, nb_, ula, corr);
            LANES lw[r] = lw[r] + corr[r];
          } else if (kernel == ChainKernel::Hmc) {
            load_lane(uniforms.data(), b * W, rows, ub);
            tally.add(hmc_block(path, w, st, nb_, ub, steps[s - 1], L, rows));
          } else if (kernel == ChainKernel::Mala) {
            load_lane(uniforms.data(), b * W, rows, ub);
            tally.add(mala_block(path, w, st, nb_, ub, ula, rows));
          } else {
            uha_block(path, w, st, nb_, uhp, L, corr);
            LANES lw[r] = lw[r] + corr[r];
          }
        }
        accept[t] = tally;
      };
      if (threads == 1) {
        body(0, 0, nb);
      } else {
        parallel_for(threads, [&](int t) { body(t, nb * t / threads, nb * (t + 1) / threads); });
      }
      for (size_t b = 0; b < nb; b++) store_lane(LW + b * W, b * W, rows_of(b), logw.data());
      HmcTally total;
      for (const HmcTally& a : accept) total.add(a);
      weight_stats_of(logw.data(), static_cast<int64_t>(n), g,
                      mh ? static_cast<float>(total.accepted / static_cast<double>(n)) : -1.0f,
                      mh ? static_cast<float>(total.diverged) : -1.0f,
                      stats + (s - 1) * kReadings);
    }
  });
  for (size_t b = 0; b < nb; b++) {
    const int rows = rows_of(b);
    store_block(Z + b * bs, b * W, rows, d, l.at(11));
    store_block(ST + b * bs, b * W, rows, d, l.at(13));
    store_block(SI + b * bs, b * W, rows, d, l.at(15));
    if (uha) store_block(V + b * bs, b * W, rows, d, l.at(16));
    store_lane(LT + b * W, b * W, rows, l.at(12));
    store_lane(LI + b * W, b * W, rows, l.at(14));
    store_lane(LW + b * W, b * W, rows, l.at(17));
  }
  return true;
}

}  // namespace

bool run_fused(int op, const int32_t* ints, size_t num_ints, const double* scalars,
               size_t num_scalars, Span* arrays, size_t num_arrays, std::string* error) {
  Layout l{ints, num_ints, scalars, num_scalars, arrays, num_arrays, error};
  switch (static_cast<FusedOp>(op)) {
    case FusedOp::Evaluate: return evaluate(l);
    case FusedOp::UlaStep: return ula_step(l);
    case FusedOp::HmcStep: return hmc_step(l);
    case FusedOp::MalaStep: return mala_step(l);
    case FusedOp::HmcKickDrift:
      return hmc_kick_drift(ints, num_ints, scalars, num_scalars, arrays, num_arrays, error);
    case FusedOp::HmcAccept:
      return hmc_accept(ints, num_ints, scalars, num_scalars, arrays, num_arrays, error);
    case FusedOp::MalaPropose:
      return mala_propose(ints, num_ints, scalars, num_scalars, arrays, num_arrays, error);
    case FusedOp::MalaAccept:
      return mala_accept(ints, num_ints, scalars, num_scalars, arrays, num_arrays, error);
    case FusedOp::UhaStep: return uha_step(l);
    case FusedOp::WeightStats: return weight_stats(l);
    case FusedOp::AisChain: return ais_chain(l);
    case FusedOp::UhaMove: return num_scalars == 0 && uha_move(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::Dense:
      return num_scalars == 0 && dense_forward(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::TanhBackward:
      return num_scalars == 0 && tanh_backward(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::ColumnSums:
      return num_scalars == 0 && column_sums(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UlaPropose:
      return num_scalars == 0 && ula_propose(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UlaProposeGrad:
      return num_scalars == 0 && ula_propose_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UlaWeight:
      return num_scalars == 0 && ula_weight(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UlaWeightGrad:
      return num_scalars == 0 && ula_weight_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaStart:
      return num_scalars == 0 && uha_start(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaStartGrad:
      return num_scalars == 0 && uha_start_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaKick:
      return num_scalars == 0 && uha_kick(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaKickGrad:
      return num_scalars == 0 && uha_kick_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaFinish:
      return num_scalars == 0 && uha_finish(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaFinishGrad:
      return num_scalars == 0 && uha_finish_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::Adam:
      return adam_update(ints, num_ints, scalars, num_scalars, arrays, num_arrays, error);
    case FusedOp::MlpBernoulli:
      return num_scalars == 0 && mlp_bernoulli(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::MlpBernoulliGrad:
      return num_scalars == 0 && mlp_bernoulli_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::RowGaussian:
      return num_scalars == 0 && row_gaussian(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::RowGaussianGrad:
      return num_scalars == 0 && row_gaussian_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::GatherRows:
      return num_scalars == 0 && gather_rows(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::GatherRowsGrad:
      return num_scalars == 0 && gather_rows_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::Ancestors:
      return num_scalars == 0 && ancestors(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::AisUpdate:
      return num_scalars == 0 && ais_update(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::AisUpdateGrad:
      return num_scalars == 0 && ais_update_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::CopyBlock:
      return num_scalars == 0 && copy_block(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::FmaPeak:
      return num_scalars == 0 && fma_peak(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::DensityProgram:
      return num_scalars == 0 && density_program(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::UhaMoveGrad:
      return num_scalars == 0 && uha_move_grad(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::TargetEval:
      return num_scalars == 0 && target_eval(ints, num_ints, arrays, num_arrays, error);
    case FusedOp::TargetEvalGrad:
      return num_scalars == 0 && target_eval_grad(ints, num_ints, arrays, num_arrays, error);
  }
  *error = "fused op: unknown op";
  return false;
}

}  // namespace anneal

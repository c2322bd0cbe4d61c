// The closed-form targets' log density and score as one differentiable op, for chains trained on
// TF.js ops around their target evaluations (ULA, CMCD, ULA-MCD on the funnel, Many-Well and the
// Gaussian mixtures): forward log pi(z) and grad log pi(z) per particle; the vector-Jacobian
// product dz = dlogT grad log pi(z) + H(z) dsT from the target's Hessian-vector product, so a
// gradient through a score costs one native pass instead of TF.js's second-order autodiff.
//
// TargetEval      ints [kind, n, d]; arrays [params, z, logT, sT]
// TargetEvalGrad  ints [kind, n, d]; arrays [params, z, dlogT, dsT, dz]
#include "fused_common.h"

namespace anneal {
namespace {

using namespace fused;

bool target_prefix(const int32_t* ints, size_t num_ints, size_t num_arrays, size_t want,
                   Span* a, Target* t, std::string* error) {
  if (num_ints != 3 || num_arrays != want) {
    *error = "fused op: wrong number of arguments";
    return false;
  }
  const int kind = ints[0];
  const int64_t n = ints[1], d = ints[2];
  if (kind < 0 || kind >= kTargetKinds || n < 0 || d < 1) {
    *error = "fused op: bad target kind or sizes";
    return false;
  }
  *t = Target(static_cast<TargetKind>(kind), static_cast<int>(d), a[0].data, a[0].length);
  if (!t->valid()) {
    *error = "fused op: target parameters do not match its kind and dimension";
    return false;
  }
  const size_t nd = static_cast<size_t>(n * d);
  for (size_t i = 1; i < want; i++) {
    // Array 2 is per particle (log pi, or its adjoint); the others are [n, d].
    const size_t expected = i == 2 ? static_cast<size_t>(n) : nd;
    if (a[i].length != expected) {
      *error = "fused op: target array " + std::to_string(i) + " has " +
               std::to_string(a[i].length) + " elements, expected " + std::to_string(expected);
      return false;
    }
  }
  return true;
}

}  // namespace

bool target_eval(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                 std::string* error) {
  Target t;
  if (!target_prefix(ints, num_ints, num_arrays, 4, a, &t, error)) return false;
  const size_t n = static_cast<size_t>(ints[1]);
  const int d = ints[2];
  const float* z = a[1].data;
  float *lt = a[2].data, *st = a[3].data;
  with_target(t, [&](const auto& tg) {
    for_rows(n, d, [&](int, size_t lo, size_t hi) {
      Work w(d, tg.work_size(), 2, 1);
      float *zb = w.block(0), *sb = w.block(1), *lb = w.lane(0);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        load_block(z, i0, rows, d, zb);
        tg.eval(zb, lb, sb, w.target());
        store_block(sb, i0, rows, d, st);
        store_lane(lb, i0, rows, lt);
      }
    });
  });
  return true;
}

bool target_eval_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                      std::string* error) {
  Target t;
  if (!target_prefix(ints, num_ints, num_arrays, 5, a, &t, error)) return false;
  const size_t n = static_cast<size_t>(ints[1]);
  const int d = ints[2];
  const float *z = a[1].data, *dlt = a[2].data, *dst = a[3].data;
  float* dz = a[4].data;
  with_target(t, [&](const auto& tg) {
    for_rows(n, 2 * static_cast<size_t>(d), [&](int, size_t lo, size_t hi) {
      Work w(d, tg.work_size(), 4, 2);
      float *zb = w.block(0), *sb = w.block(1), *ub = w.block(2), *hb = w.block(3);
      float *lb = w.lane(0), *db = w.lane(1);
      for (size_t i0 = lo; i0 < hi; i0 += W) {
        const int rows = static_cast<int>(std::min<size_t>(W, hi - i0));
        load_block(z, i0, rows, d, zb);
        load_block(dst, i0, rows, d, ub);
        load_lane(dlt, i0, rows, db);
        tg.eval(zb, lb, sb, w.target());
        tg.hvp(zb, ub, hb, w.target());
        for (int j = 0; j < d; j++) LANES hb[j * W + r] += db[r] * sb[j * W + r];
        store_block(hb, i0, rows, d, dz);
      }
    });
  });
  return true;
}

}  // namespace anneal

// Element-wise kernels over the vectorizable functions of vecmath.h; each loop compiles to SIMD.
// Arrays large enough to repay waking the pool are split over its threads (elements are
// independent, so the result does not depend on the split).
#include "elementwise.h"

#include <algorithm>

#include "gemm.h"
#include "pool.h"
#include "vecmath.h"

namespace anneal {

namespace {

constexpr size_t kParallelFrom = size_t{1} << 16;  // elements

// body(lo, hi) over [0, n), in one share per thread when n is large.
template <typename F>
void split(size_t n, size_t grain, F&& body) {
  const int threads = gemm_threads();
  if (threads <= 1 || n * grain < kParallelFrom || n < 2) {
    body(size_t{0}, n);
    return;
  }
  const int t_count = static_cast<int>(std::min<size_t>(threads, n));
  parallel_for(t_count, [&](int t) {
    size_t lo = n * t / t_count, hi = n * (t + 1) / t_count;
    if (lo < hi) body(lo, hi);
  });
}

inline float neg(float x) { return -x; }
inline float square(float x) { return x * x; }

template <float (*F)(float)>
void map(const float* x, float* y, size_t n) {
  split(n, 1, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) y[i] = F(x[i]);
  });
}

template <Binary Op>
inline float apply(float a, float b) {
  if constexpr (Op == Binary::Add) return a + b;
  if constexpr (Op == Binary::Sub) return a - b;
  if constexpr (Op == Binary::Mul) return a * b;
  if constexpr (Op == Binary::Div) return a / b;
  if constexpr (Op == Binary::SoftplusGrad) return a * vsigmoid(b);
  if constexpr (Op == Binary::SigmoidGrad) return a * (b * (1.0f - b));
}

// One row of the output: each operand either a vector (stride 1) or one value (stride 0).
template <Binary Op, bool AVec, bool BVec>
inline void row(const float* a, const float* b, float* out, size_t cols) {
  const float av = AVec ? 0.0f : a[0];
  const float bv = BVec ? 0.0f : b[0];
  for (size_t j = 0; j < cols; j++) out[j] = apply<Op>(AVec ? a[j] : av, BVec ? b[j] : bv);
}

// Row i's slice of an operand, and whether it is a vector there.
inline const float* at(const float* p, Broadcast m, size_t i, size_t cols) {
  switch (m) {
    case Broadcast::Full: return p + i * cols;
    case Broadcast::Row: return p;
    case Broadcast::Column: return p + i;
    case Broadcast::Scalar: return p;
  }
  return p;
}
inline bool vec(Broadcast m) { return m == Broadcast::Full || m == Broadcast::Row; }

template <Binary Op>
void binary_op(const float* a, Broadcast am, const float* b, Broadcast bm, float* out,
               size_t rows, size_t cols) {
  const bool flat = (am == Broadcast::Full || am == Broadcast::Scalar) &&
                    (bm == Broadcast::Full || bm == Broadcast::Scalar);
  if (flat) {
    // No row structure: one long row, split into element ranges.
    const size_t n = rows * cols;
    split(n, 1, [&](size_t lo, size_t hi) {
      const float* ap = am == Broadcast::Full ? a + lo : a;
      const float* bp = bm == Broadcast::Full ? b + lo : b;
      if (am == Broadcast::Full && bm == Broadcast::Full) row<Op, true, true>(ap, bp, out + lo, hi - lo);
      else if (am == Broadcast::Full) row<Op, true, false>(ap, bp, out + lo, hi - lo);
      else if (bm == Broadcast::Full) row<Op, false, true>(ap, bp, out + lo, hi - lo);
      else row<Op, false, false>(ap, bp, out + lo, hi - lo);
    });
    return;
  }
  const bool av = vec(am), bv = vec(bm);
  split(rows, cols, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) {
      const float* ap = at(a, am, i, cols);
      const float* bp = at(b, bm, i, cols);
      float* o = out + i * cols;
      if (av && bv) row<Op, true, true>(ap, bp, o, cols);
      else if (av) row<Op, true, false>(ap, bp, o, cols);
      else if (bv) row<Op, false, true>(ap, bp, o, cols);
      else row<Op, false, false>(ap, bp, o, cols);
    }
  });
}

}  // namespace

void unary(Unary op, const float* x, float* y, size_t n) {
  switch (op) {
    case Unary::Tanh: return map<vtanh>(x, y, n);
    case Unary::Exp: return map<vexp>(x, y, n);
    case Unary::Log: return map<vlog>(x, y, n);
    case Unary::Sigmoid: return map<vsigmoid>(x, y, n);
    case Unary::Softplus: return map<vsoftplus>(x, y, n);
    case Unary::Neg: return map<neg>(x, y, n);
    case Unary::Square: return map<square>(x, y, n);
  }
}

void binary(Binary op, const float* a, Broadcast am, const float* b, Broadcast bm, float* out,
            size_t rows, size_t cols) {
  switch (op) {
    case Binary::Add: return binary_op<Binary::Add>(a, am, b, bm, out, rows, cols);
    case Binary::Sub: return binary_op<Binary::Sub>(a, am, b, bm, out, rows, cols);
    case Binary::Mul: return binary_op<Binary::Mul>(a, am, b, bm, out, rows, cols);
    case Binary::Div: return binary_op<Binary::Div>(a, am, b, bm, out, rows, cols);
    case Binary::SoftplusGrad: return binary_op<Binary::SoftplusGrad>(a, am, b, bm, out, rows, cols);
    case Binary::SigmoidGrad: return binary_op<Binary::SigmoidGrad>(a, am, b, bm, out, rows, cols);
  }
}

}  // namespace anneal

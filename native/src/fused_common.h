// Shared pieces of the fused native ops (fused.cc, fused_move.cc): argument layouts and their checks,
// the path (target and initial distribution) on blocks of particles, per-thread scratch, and the
// split of rows over threads.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "block.h"
#include "gemm.h"
#include "pool.h"
#include "fused.h"
#include "targets.h"
#include "vecmath.h"

namespace anneal {
namespace fused {

// Splits rows over the pool's threads when the work is large enough to repay a wake-up.
// body(t, lo, hi) runs rows [lo, hi) as share t of row_threads(n, work_per_row).
inline int row_threads(size_t n, size_t work_per_row) {
  int threads = gemm_threads();
  if (threads <= 1 || n * work_per_row < (1u << 15) || n < 2) return 1;
  return static_cast<int>(std::min<size_t>(threads, n));
}

template <typename F>
void for_rows(size_t n, size_t work_per_row, F&& body) {
  const int threads = row_threads(n, work_per_row);
  if (threads == 1) {
    body(0, size_t{0}, n);
    return;
  }
  parallel_for(threads, [&](int t) {
    size_t lo = n * t / threads, hi = n * (t + 1) / threads;
    if (lo < hi) body(t, lo, hi);
  });
}

struct Layout {
  const int32_t* ints;
  size_t num_ints;
  const double* scalars;
  size_t num_scalars;
  Span* arrays;
  size_t num_arrays;
  std::string* error;

  bool counts(size_t i, size_t s, size_t a) {
    if (num_ints != i || num_scalars != s || num_arrays != a) {
      *error = "fused op: wrong number of arguments";
      return false;
    }
    return true;
  }
  bool length(size_t index, size_t expected, const char* what) {
    if (arrays[index].length != expected) {
      *error = std::string("fused op: ") + what + " has " + std::to_string(arrays[index].length) +
               " elements, expected " + std::to_string(expected);
      return false;
    }
    return true;
  }
  float* at(size_t index) const { return arrays[index].data; }
};

// The target and the initial distribution from the common prefix of path ops:
// ints [kind, n, d, ...], arrays [params, mean, logScale, ...].
struct PathArgs {
  Target target;
  size_t n;
  int d;
};

inline bool path_prefix(Layout& l, PathArgs* out) {
  const int kind = l.ints[0];
  const int64_t n = l.ints[1], d = l.ints[2];
  if (kind < 0 || kind >= kTargetKinds || n < 0 || d < 1) {
    *l.error = "fused op: bad target kind or sizes";
    return false;
  }
  out->target = Target(static_cast<TargetKind>(kind), static_cast<int>(d), l.at(0), l.arrays[0].length);
  if (!out->target.valid()) {
    *l.error = "fused op: target parameters do not match its kind and dimension";
    return false;
  }
  out->n = static_cast<size_t>(n);
  out->d = static_cast<int>(d);
  return l.length(1, d, "initial mean") && l.length(2, d, "initial logScale");
}

// log gamma_beta = a log q + b log pi with a = 1 - beta, b = beta (float32, as TF.js rounds them).
struct Mix {
  float a, b;
  explicit Mix(double beta) : a(static_cast<float>(1.0 - beta)), b(static_cast<float>(beta)) {}
};

// ---- Block kernels: one transition of W particles held in transposed blocks, in place. ----

// A block of particle state: z, scores and momentum are d x W blocks, the log densities W lanes.
struct BlockState {
  float *z, *st, *si, *v;
  float *lt, *li;
};

// Per-thread scratch: blocks of d x W floats, lanes, and the target's work area.
class Work {
 public:
  Work(int d, size_t target_work, int blocks = 8, int lanes = 8)
      : blocks_(d, blocks), target_(target_work + W), lanes_(lanes * W + 16) {}
  float* block(int i) { return blocks_.block(i); }
  float* lane(int i) {
    float* base = lanes_.data();
    base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
    return base + i * W;
  }
  float* target() { return target_.data(); }

 private:
  Scratch blocks_;
  std::vector<float> target_;
  std::vector<float> lanes_;
};

template <typename T>
struct Path {
  const T& target;
  const DiagGaussian& initial;
  Mix mix;
  int d;
  void eval(Work& w, const float* z, float* lt, float* st, float* li, float* si) const {
    target.eval(z, lt, st, w.target());
    initial.eval(z, li, si);
  }
  // d log gamma_beta / dz = a score_q + b score_pi
  float drift(const float* si, const float* st, int k) const { return mix.a * si[k] + mix.b * st[k]; }
  float log_gamma(float li, float lt) const { return mix.a * li + mix.b * lt; }
};


}  // namespace fused
}  // namespace anneal

// The machine's measured ceiling for single-precision arithmetic: fused multiply-adds on
// independent vector registers, at the vector width this build targets, with nothing to load or
// store. The bench prints matrix-product speeds beside it, so the distance to the physical limit
// is visible on every machine.
//
// FmaPeak: ints []; arrays [out (2)]: out[0] = GFLOP/s of one thread, out[1] = of all the pool's
// threads together.
#include <chrono>

#include "fused.h"
#include "fused_common.h"

namespace anneal {
namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef float lanes __attribute__((vector_size(kLanes * sizeof(float))));
// Independent chains: enough to cover the FMA latency on every pipe (4 cycles x 2 pipes, with room).
constexpr int kChains = 12;
constexpr long kRounds = 1L << 19;

// Runs kRounds x kChains vector FMAs from a start the compiler cannot know (so no call is folded
// into another), returning the result so the work cannot be dropped.
float fma_chains(float start) {
  lanes acc[kChains];
  for (int c = 0; c < kChains; c++)
    for (int l = 0; l < kLanes; l++) acc[c][l] = start + 0.001f * static_cast<float>(c + l);
  lanes scale, shift;
  for (int l = 0; l < kLanes; l++) {
    scale[l] = 0.9999999f;
    shift[l] = 1e-7f;
  }
  for (long r = 0; r < kRounds; r++) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; c++) acc[c] = acc[c] * scale + shift;
  }
  float s = 0.0f;
  for (int c = 0; c < kChains; c++)
    for (int l = 0; l < kLanes; l++) s += acc[c][l];
  return s;
}

constexpr double kFlops = 2.0 * kLanes * kChains * static_cast<double>(kRounds);

double seconds_of(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

bool fma_peak(const int32_t*, size_t num_ints, Span* arrays, size_t num_arrays,
              std::string* error) {
  if (num_ints != 0 || num_arrays != 1 || arrays[0].length != 2) {
    *error = "fused op: wrong arguments for the FMA peak";
    return false;
  }
  volatile float sink = 0.0f;
  volatile float start = 1.0f;
  sink = sink + fma_chains(start);  // warm-up: clocks up, code in cache
  double best_one = 1e30, best_all = 1e30;
  const int threads = gemm_threads();
  for (int rep = 0; rep < 3; rep++) {
    best_one = std::min(best_one, seconds_of([&] { sink = sink + fma_chains(start); }));
    best_all = std::min(best_all, seconds_of([&] {
      parallel_for(threads, [&](int) { sink = sink + fma_chains(start); });
    }));
  }
  arrays[0].data[0] = static_cast<float>(kFlops / best_one / 1e9);
  arrays[0].data[1] = static_cast<float>(threads * kFlops / best_all / 1e9);
  return true;
}

}  // namespace anneal

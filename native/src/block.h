// Blocks of W particles in transposed (structure-of-arrays) layout: element (row r, coordinate j)
// of a block sits at [j * W + r]. Every loop over r has the fixed trip count W, so the compiler
// turns per-particle arithmetic into whole-vector arithmetic across particles, and reductions over
// coordinates become vector additions: a particle of d = 10 costs a few cycles instead of a chain
// of dependent scalar operations.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>
#ifdef __AVX512F__
#include <immintrin.h>
#endif
#include <vector>

namespace anneal {

constexpr int W = 16;

// A loop over the W particles of a block, vectorized (-fopenmp-simd): lanes are independent.
#define LANES _Pragma("omp simd") for (int r = 0; r < W; r++)

namespace detail {

#if defined(__GNUC__) && !defined(__clang__)
typedef float v16 __attribute__((vector_size(64)));
typedef int i16 __attribute__((vector_size(64)));

// In-place transpose of 16 rows of 16 floats: four butterfly stages, each exchanging one bit of
// the row index with the same bit of the column index (two-source shuffles, vpermt2ps on x86).
template <int K>
inline void butterfly(v16* m) {
  constexpr int b = 1 << K;
  const i16 lo = {(0 & b) ? 16 + (0 ^ b) : 0,   (1 & b) ? 16 + (1 ^ b) : 1,
                  (2 & b) ? 16 + (2 ^ b) : 2,   (3 & b) ? 16 + (3 ^ b) : 3,
                  (4 & b) ? 16 + (4 ^ b) : 4,   (5 & b) ? 16 + (5 ^ b) : 5,
                  (6 & b) ? 16 + (6 ^ b) : 6,   (7 & b) ? 16 + (7 ^ b) : 7,
                  (8 & b) ? 16 + (8 ^ b) : 8,   (9 & b) ? 16 + (9 ^ b) : 9,
                  (10 & b) ? 16 + (10 ^ b) : 10, (11 & b) ? 16 + (11 ^ b) : 11,
                  (12 & b) ? 16 + (12 ^ b) : 12, (13 & b) ? 16 + (13 ^ b) : 13,
                  (14 & b) ? 16 + (14 ^ b) : 14, (15 & b) ? 16 + (15 ^ b) : 15};
  const i16 hi = {(0 & b) ? 16 + 0 : (0 ^ b),   (1 & b) ? 16 + 1 : (1 ^ b),
                  (2 & b) ? 16 + 2 : (2 ^ b),   (3 & b) ? 16 + 3 : (3 ^ b),
                  (4 & b) ? 16 + 4 : (4 ^ b),   (5 & b) ? 16 + 5 : (5 ^ b),
                  (6 & b) ? 16 + 6 : (6 ^ b),   (7 & b) ? 16 + 7 : (7 ^ b),
                  (8 & b) ? 16 + 8 : (8 ^ b),   (9 & b) ? 16 + 9 : (9 ^ b),
                  (10 & b) ? 16 + 10 : (10 ^ b), (11 & b) ? 16 + 11 : (11 ^ b),
                  (12 & b) ? 16 + 12 : (12 ^ b), (13 & b) ? 16 + 13 : (13 ^ b),
                  (14 & b) ? 16 + 14 : (14 ^ b), (15 & b) ? 16 + 15 : (15 ^ b)};
  for (int r = 0; r < 16; r++) {
    if (r & b) continue;
    const v16 a = m[r], c = m[r | b];
    m[r] = __builtin_shuffle(a, c, lo);
    m[r | b] = __builtin_shuffle(a, c, hi);
  }
}

inline void transpose16(v16* m) {
  butterfly<0>(m);
  butterfly<1>(m);
  butterfly<2>(m);
  butterfly<3>(m);
}
#define ANNEAL_FAST_TRANSPOSE 1
#endif

}  // namespace detail

// Rows [i0, i0 + rows) of a row-major [n, d] array into a block; missing rows repeat the last one
// (their results are never written back).
inline void load_block(const float* src, size_t i0, int rows, int d, float* dst) {
#ifdef ANNEAL_FAST_TRANSPOSE
  static_assert(W == 16, "the fast transpose is 16 x 16");
  for (int c0 = 0; c0 < d; c0 += 16) {
    const int cols = std::min(16, d - c0);
    detail::v16 m[16];
    for (int r = 0; r < 16; r++) {
      const float* row = src + (i0 + static_cast<size_t>(std::min(r, rows - 1))) * d + c0;
      if (cols == 16) {
        std::memcpy(&m[r], row, sizeof(detail::v16));  // one vector load
      } else {
#ifdef __AVX512F__
        m[r] = (detail::v16)_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << cols) - 1), row);
#else
        float tmp[16] = {};
        for (int j = 0; j < cols; j++) tmp[j] = row[j];
        std::memcpy(&m[r], tmp, sizeof(detail::v16));
#endif
      }
    }
    detail::transpose16(m);
    for (int j = 0; j < cols; j++) std::memcpy(dst + (c0 + j) * W, &m[j], sizeof(detail::v16));
  }
#else
  for (int r = 0; r < W; r++) {
    const float* row = src + (i0 + static_cast<size_t>(std::min(r, rows - 1))) * d;
    for (int j = 0; j < d; j++) dst[j * W + r] = row[j];
  }
#endif
}

inline void store_block(const float* src, size_t i0, int rows, int d, float* dst) {
#ifdef ANNEAL_FAST_TRANSPOSE
  for (int c0 = 0; c0 < d; c0 += 16) {
    const int cols = std::min(16, d - c0);
    detail::v16 m[16];
    for (int j = 0; j < cols; j++) std::memcpy(&m[j], src + (c0 + j) * W, sizeof(detail::v16));
    for (int j = cols; j < 16; j++) m[j] = detail::v16{};
    detail::transpose16(m);
    for (int r = 0; r < rows; r++) {
      float* row = dst + (i0 + r) * d + c0;
      if (cols == 16) {
        std::memcpy(row, &m[r], sizeof(detail::v16));
      } else {
#ifdef __AVX512F__
        _mm512_mask_storeu_ps(row, static_cast<__mmask16>((1u << cols) - 1), (__m512)m[r]);
#else
        float tmp[16];
        std::memcpy(tmp, &m[r], sizeof(detail::v16));
        for (int j = 0; j < cols; j++) row[j] = tmp[j];
#endif
      }
    }
  }
#else
  for (int r = 0; r < rows; r++) {
    float* row = dst + (i0 + r) * d;
    for (int j = 0; j < d; j++) row[j] = src[j * W + r];
  }
#endif
}

inline void load_lane(const float* src, size_t i0, int rows, float* dst) {
  for (int r = 0; r < W; r++) dst[r] = src[i0 + std::min(r, rows - 1)];
}

inline void store_lane(const float* src, size_t i0, int rows, float* dst) {
  for (int r = 0; r < rows; r++) dst[i0 + r] = src[r];
}

// Scratch blocks for one thread: count blocks of d x W floats, 64-byte aligned.
class Scratch {
 public:
  Scratch(int d, int count) : d_(d), store_(static_cast<size_t>(d) * W * count + 16) {}
  float* block(int index) {
    float* base = store_.data();
    base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
    return base + static_cast<size_t>(index) * d_ * W;
  }

 private:
  int d_;
  std::vector<float> store_;
};

}  // namespace anneal

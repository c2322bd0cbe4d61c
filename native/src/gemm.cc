// Single-precision matrix product in the style of BLIS/GotoBLAS: blocks of op(B) (k x n) and
// op(A) (m x k) are copied into contiguous panels, then a register-blocked micro-kernel of
// MR x NR accumulators runs over them. The panels absorb transposition, so A^T B and A B^T cost
// the same as A B. Vector code comes from GCC/Clang vector extensions at the machine's width.
#include "gemm.h"

#include <algorithm>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <mutex>
#include <thread>

#include "block.h"
#include "pool.h"

namespace anneal {
namespace {

#if defined(__AVX512F__)
constexpr int VW = 16;  // floats per vector
constexpr int MR = 12;  // rows of C per micro-tile (24 accumulators of 32 registers)
#elif defined(__AVX__)
constexpr int VW = 8;
constexpr int MR = 6;
#else
constexpr int VW = 4;
constexpr int MR = 6;
#endif
constexpr int NV = 2;  // vectors per row of a micro-tile
constexpr int NR = VW * NV;
constexpr int KC = 256;       // depth of a block: one A panel row and one B panel row stay in L1
constexpr int MC = MR * 16;   // rows of an A block (L2)
constexpr int NC = NR * 128;  // columns of a B block (L2/L3)

typedef float vf __attribute__((vector_size(VW * sizeof(float))));

// All lanes a (vf{} + a would add +0.0, a real instruction that also flips -0.0).
inline vf splat(float a) {
#if defined(__AVX512F__)
  return (vf)_mm512_set1_ps(a);
#elif defined(__AVX__)
  return (vf)_mm256_set1_ps(a);
#else
  vf v;
  for (int i = 0; i < VW; i++) v[i] = a;
  return v;
#endif
}

inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(vf));
  return v;
}
inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof(vf)); }

#if defined(__AVX512F__) && defined(ANNEAL_FAST_TRANSPOSE)
// Packing a row-major operand into panels is a transpose: element-wise it is a strided scatter,
// which costs a third as much as the product itself for 100-row operands. In 16 x 16 register
// transposes it is whole-vector loads and stores.
constexpr bool kVectorPacking = true;
inline __mmask16 first_lanes(int n) { return n >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << n) - 1); }

// dst[p * stride + lane] = src_lane[p] for p in [0, kc), lanes [0, count) of 16 sources whose
// rows `src(lane)` start at the block's depth offset; `lanes` are written, the rest are zeros.
template <typename Src>
inline void transpose_pack(Src src, int count, int kc, float* dst, int stride, __mmask16 lanes) {
  for (int q0 = 0; q0 < kc; q0 += 16) {
    const int len = std::min(16, kc - q0);
    const __mmask16 depth = first_lanes(len);
    detail::v16 m[16];
    for (int r = 0; r < 16; r++)
      m[r] = r < count ? (detail::v16)_mm512_maskz_loadu_ps(depth, src(r) + q0) : detail::v16{};
    detail::transpose16(m);
    for (int q = 0; q < len; q++)
      _mm512_mask_storeu_ps(dst + static_cast<size_t>(q0 + q) * stride, lanes, (__m512)m[q]);
  }
}
#else
constexpr bool kVectorPacking = false;
#endif

// op(A)[i0 .. i0+mc, p0 .. p0+kc] into panels of MR rows, [panel][p][r], zero-padded.
void pack_a(bool trans, const float* a, int lda, int i0, int mc, int p0, int kc, float* out) {
  for (int ir = 0; ir < mc; ir += MR) {
    int rows = std::min(MR, mc - ir);
    float* dst = out + static_cast<size_t>(ir) * kc;
#if defined(__AVX512F__) && defined(ANNEAL_FAST_TRANSPOSE)
    if (kVectorPacking && !trans && MR <= 16) {
      const float* base = a + static_cast<size_t>(i0 + ir) * lda + p0;
      transpose_pack([&](int r) { return base + static_cast<size_t>(r) * lda; }, rows, kc, dst, MR,
                     first_lanes(MR));
      continue;
    }
#endif
    if (trans) {
      for (int p = 0; p < kc; p++) {
        const float* src = a + static_cast<size_t>(p0 + p) * lda + i0 + ir;
        int r = 0;
        for (; r < rows; r++) dst[p * MR + r] = src[r];
        for (; r < MR; r++) dst[p * MR + r] = 0.0f;
      }
    } else {
      for (int r = 0; r < MR; r++) {
        if (r < rows) {
          const float* src = a + static_cast<size_t>(i0 + ir + r) * lda + p0;
          for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
        } else {
          for (int p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
        }
      }
    }
  }
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] into panels of NR columns, [panel][p][c], zero-padded.
void pack_b(bool trans, const float* b, int ldb, int p0, int kc, int j0, int nc, float* out) {
  for (int jr = 0; jr < nc; jr += NR) {
    int cols = std::min(NR, nc - jr);
    float* dst = out + static_cast<size_t>(jr) * kc;
#if defined(__AVX512F__) && defined(ANNEAL_FAST_TRANSPOSE)
    if (kVectorPacking && trans && NR % 16 == 0) {
      for (int h = 0; h < NR; h += 16) {
        const float* base = b + static_cast<size_t>(j0 + jr + h) * ldb + p0;
        transpose_pack([&](int c) { return base + static_cast<size_t>(c) * ldb; },
                       std::max(0, std::min(16, cols - h)), kc, dst + h, NR, 0xFFFF);
      }
      continue;
    }
#endif
    if (!trans) {
      for (int p = 0; p < kc; p++) {
        const float* src = b + static_cast<size_t>(p0 + p) * ldb + j0 + jr;
        float* d = dst + p * NR;
        if (cols == NR) {
          std::memcpy(d, src, NR * sizeof(float));
        } else {
          int c = 0;
          for (; c < cols; c++) d[c] = src[c];
          for (; c < NR; c++) d[c] = 0.0f;
        }
      }
    } else {
      for (int c = 0; c < NR; c++) {
        if (c < cols) {
          const float* src = b + static_cast<size_t>(j0 + jr + c) * ldb + p0;
          for (int p = 0; p < kc; p++) dst[p * NR + c] = src[p];
        } else {
          for (int p = 0; p < kc; p++) dst[p * NR + c] = 0.0f;
        }
      }
    }
  }
}

// C[0..mr, 0..nr] (+)= Apanel * Bpanel over depth kc.
inline void micro_kernel(int kc, const float* __restrict ap, const float* __restrict bp, float* c,
                         int ldc, int mr, int nr, bool accumulate) {
  vf acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = vf{};
  for (int p = 0; p < kc; p++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = load(bp + p * NR + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      vf av = splat(ap[p * MR + r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] += av * bv[v];
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* dst = c + static_cast<size_t>(r) * ldc + v * VW;
        store(dst, accumulate ? load(dst) + acc[r][v] : acc[r][v]);
      }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) store(tile + r * NR + v * VW, acc[r][v]);
  for (int r = 0; r < mr; r++) {
    float* dst = c + static_cast<size_t>(r) * ldc;
    for (int j = 0; j < nr; j++) dst[j] = accumulate ? dst[j] + tile[r * NR + j] : tile[r * NR + j];
  }
}

struct Buffers {
  float* a = nullptr;
  float* b = nullptr;
  Buffers() {
    a = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * MC * KC));
    b = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * NC * KC));
  }
  ~Buffers() {
    std::free(a);
    std::free(b);
  }
};

// Rows [i_begin, i_end) and columns [j_begin, j_end) of C, with this thread's own buffers.
void gemm_block(bool ta, bool tb, int i_begin, int i_end, int j_begin, int j_end, int k,
                const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
  thread_local Buffers buf;
  for (int jc = j_begin; jc < j_end; jc += NC) {
    int nc = std::min(NC, j_end - jc);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = std::min(KC, k - pc);
      pack_b(tb, b, ldb, pc, kc, jc, nc, buf.b);
      for (int ic = i_begin; ic < i_end; ic += MC) {
        int mc = std::min(MC, i_end - ic);
        pack_a(ta, a, lda, ic, mc, pc, kc, buf.a);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = std::min(MR, mc - ir);
            micro_kernel(kc, buf.a + static_cast<size_t>(ir) * kc,
                         buf.b + static_cast<size_t>(jr) * kc,
                         c + static_cast<size_t>(ic + ir) * ldc + jc + jr, ldc, mr, nr, pc > 0);
          }
        }
      }
    }
  }
}

int g_threads = 1;

// Products with at most 16 output columns (network heads and their gradients). The blocked path
// would spend most of its time packing and on padded micro-tiles; here each output column is a
// vector accumulator over the depth (A by rows) or over rows of C (A transposed).
constexpr int kSmallN = 16;

float hsum(vf v) {
  float s = 0.0f;
  for (int i = 0; i < VW; i++) s += v[i];
  return s;
}

bool small_n_gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b,
                  int ldb, float* c, int ldc) {
  if (n > kSmallN || k < VW) return false;
  thread_local std::vector<float> bt;
  if (!ta) {
    // C[i, j] = A[i, :] . B[:, j], vectorized along the depth; B^T packed [n][k].
    bt.resize(static_cast<size_t>(n) * k);
    for (int j = 0; j < n; j++)
      for (int p = 0; p < k; p++)
        bt[static_cast<size_t>(j) * k + p] =
            tb ? b[static_cast<size_t>(j) * ldb + p] : b[static_cast<size_t>(p) * ldb + j];
    const int kv = k - k % VW;
    for (int i = 0; i < m; i++) {
      const float* ai = a + static_cast<size_t>(i) * lda;
      vf s[kSmallN];
      for (int j = 0; j < n; j++) s[j] = vf{};
      for (int p = 0; p < kv; p += VW) {
        const vf av = load(ai + p);
        for (int j = 0; j < n; j++) s[j] += av * load(bt.data() + static_cast<size_t>(j) * k + p);
      }
      float* ci = c + static_cast<size_t>(i) * ldc;
      for (int j = 0; j < n; j++) {
        float t = hsum(s[j]);
        const float* bj = bt.data() + static_cast<size_t>(j) * k;
        for (int p = kv; p < k; p++) t += ai[p] * bj[p];
        ci[j] = t;
      }
    }
    return true;
  }
  // A stored [k, m]: vectors of VW rows of C, one accumulator per output column.
  const int mv = m - m % VW;
  for (int i0 = 0; i0 < mv; i0 += VW) {
    vf s[kSmallN];
    for (int j = 0; j < n; j++) s[j] = vf{};
    for (int p = 0; p < k; p++) {
      const vf av = load(a + static_cast<size_t>(p) * lda + i0);
      for (int j = 0; j < n; j++) {
        const float bpj = tb ? b[static_cast<size_t>(j) * ldb + p] : b[static_cast<size_t>(p) * ldb + j];
        s[j] += av * splat(bpj);
      }
    }
    for (int j = 0; j < n; j++)
      for (int r = 0; r < VW; r++) c[static_cast<size_t>(i0 + r) * ldc + j] = s[j][r];
  }
  for (int i = mv; i < m; i++)
    for (int j = 0; j < n; j++) {
      float t = 0.0f;
      for (int p = 0; p < k; p++)
        t += a[static_cast<size_t>(p) * lda + i] *
             (tb ? b[static_cast<size_t>(j) * ldb + p] : b[static_cast<size_t>(p) * ldb + j]);
      c[static_cast<size_t>(i) * ldc + j] = t;
    }
  return true;
}

}  // namespace

void set_gemm_threads(int threads) { g_threads = std::max(1, threads); }
int gemm_threads() { return g_threads; }

void sgemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; i++) std::memset(c + static_cast<size_t>(i) * ldc, 0, sizeof(float) * n);
    return;
  }
  if (small_n_gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc)) return;
  // Threads only pay for themselves on large products (a wake-up costs microseconds).
  double flops = 2.0 * m * n * k;
  int threads = flops >= 2.0e7 ? std::min(g_threads, std::max(1, std::max(m / MR, n / NR))) : 1;
  if (threads <= 1) {
    gemm_block(ta, tb, 0, m, 0, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
  // Split the longer side of C into one slab per thread, on micro-tile boundaries.
  bool split_rows = m >= n;
  int extent = split_rows ? m : n;
  int unit = split_rows ? MR : NR;
  int tiles = (extent + unit - 1) / unit;
  parallel_for(threads, [&](int t) {
    int t0 = tiles * t / threads * unit;
    int t1 = std::min(extent, tiles * (t + 1) / threads * unit);
    if (t0 >= t1) return;
    if (split_rows)
      gemm_block(ta, tb, t0, t1, 0, n, k, a, lda, b, ldb, c, ldc);
    else
      gemm_block(ta, tb, 0, m, t0, t1, k, a, lda, b, ldb, c, ldc);
  });
}

}  // namespace anneal

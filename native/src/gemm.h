#pragma once
#include <cstddef>

namespace anneal {

// C[m, n] = op(A)[m, k] * op(B)[k, n], row-major, C overwritten. op(A) = A ([m, k], lda) or A^T
// (A stored [k, m]); likewise B. Packs blocks of A and B and runs a register-blocked kernel, so a
// transposed operand costs no more than a plain one.
void sgemm(bool transA, bool transB, int m, int n, int k, const float* a, int lda, const float* b,
           int ldb, float* c, int ldc);

// Threads used by sgemm for large products (1 = serial).
void set_gemm_threads(int threads);
int gemm_threads();

}  // namespace anneal

#pragma once
#include <cstddef>
#include <cstdint>

namespace anneal {

enum class Unary { Tanh = 0, Exp = 1, Log = 2, Sigmoid = 3, Softplus = 4, Neg = 5, Square = 6 };
constexpr int kUnaryCount = 7;

// y[i] = f(x[i]); x and y may be the same array. Large arrays are split over the pool's threads.
void unary(Unary op, const float* x, float* y, size_t n);

// Element-wise binary ops and the fused backward passes of two transcendental ops.
//   Add, Sub, Mul, Div:  out = a op b
//   SoftplusGrad:        out = a * sigmoid(b)    (a = dy, b = x: the gradient of softplus)
//   SigmoidGrad:         out = a * (b * (1 - b)) (a = dy, b = y = sigmoid(x))
// The same arithmetic, in the same order, as TF.js's kernels and gradient formulas, so results are
// bit for bit theirs.
enum class Binary { Add = 0, Sub = 1, Mul = 2, Div = 3, SoftplusGrad = 4, SigmoidGrad = 5 };
constexpr int kBinaryCount = 6;

// How an operand covers an output of rows x cols: every element, one row repeated down the rows
// (length cols), one column repeated across the columns (length rows), or one value.
enum class Broadcast { Full = 0, Row = 1, Column = 2, Scalar = 3 };
constexpr int kBroadcastCount = 4;

// out[rows x cols] = op(a, b) with each operand broadcast as its mode says.
void binary(Binary op, const float* a, Broadcast am, const float* b, Broadcast bm, float* out,
            size_t rows, size_t cols);

}  // namespace anneal

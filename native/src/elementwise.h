#pragma once
#include <cstddef>

namespace anneal {

enum class Unary { Tanh = 0, Exp = 1, Log = 2, Sigmoid = 3, Softplus = 4 };
constexpr int kUnaryCount = 5;

// y[i] = f(x[i]); x and y may be the same array.
void unary(Unary op, const float* x, float* y, size_t n);

}  // namespace anneal

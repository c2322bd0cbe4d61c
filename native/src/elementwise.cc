// Element-wise kernels over the vectorizable functions of vecmath.h; each loop compiles to SIMD.
#include "elementwise.h"

#include "vecmath.h"

namespace anneal {

namespace {
template <float (*F)(float)>
void map(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = F(x[i]);
}
}  // namespace

void unary(Unary op, const float* x, float* y, size_t n) {
  switch (op) {
    case Unary::Tanh: return map<vtanh>(x, y, n);
    case Unary::Exp: return map<vexp>(x, y, n);
    case Unary::Log: return map<vlog>(x, y, n);
    case Unary::Sigmoid: return map<vsigmoid>(x, y, n);
    case Unary::Softplus: return map<vsoftplus>(x, y, n);
  }
}

}  // namespace anneal

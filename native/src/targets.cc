#include "targets.h"

#include <cmath>

#include "vecmath.h"

namespace anneal {

Target::Target(TargetKind k, int d, const float* p, size_t np)
    : kind(k), dim(d), params(p), num_params(np) {
  if (kind == TargetKind::Funnel && num_params == 1) {
    const double s2 = static_cast<double>(params[0]) * params[0];
    c0 = static_cast<float>(0.5 * std::log(2.0 * M_PI * s2));
    c1 = static_cast<float>(0.5 * (d - 1) * kLog2Pi);
    c2 = static_cast<float>(1.0 / s2);
  }
}

bool Target::valid() const {
  switch (kind) {
    case TargetKind::Funnel:
      return dim >= 2 && num_params == 1;
    case TargetKind::ManyWell:
      return dim >= 2 && dim % 2 == 0 && num_params == 0;
    case TargetKind::IsoGmm: {
      if (num_params < 1) return false;
      double K = params[0];
      if (!(K >= 1 && K <= kMaxComponents && K == std::floor(K))) return false;
      return num_params == 1 + 2 * static_cast<size_t>(K) + static_cast<size_t>(K) * dim;
    }
  }
  return false;
}





DiagGaussian::DiagGaussian(int d, const float* m, const float* ls)
    : dim(d), mean(m), log_scale(ls), inv_scale(d) {
  double s = 0.0;
  for (int j = 0; j < d; j++) {
    s += ls[j];
    inv_scale[j] = vexp(-ls[j]);
  }
  log_norm = static_cast<float>(s + 0.5 * d * kLog2Pi);
}



}  // namespace anneal

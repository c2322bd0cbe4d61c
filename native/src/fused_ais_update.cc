// One AIS step's log-weight update in one pass: the increment of the annealed density at the
// current particles and the kernel's correction after the move,
//   logW' = logW + dbeta (logT - logI) + corr,
// and its vector-Jacobian product (dbeta is a learned schedule's difference, so it gets one).
//
// AisUpdate      ints [n]; arrays [logW, dbeta (1), logT, logI, corr, logW']
// AisUpdateGrad  ints [n]; arrays [logW, dbeta, logT, logI, corr, g,
//                                  dlogW, ddbeta, dlogT, dlogI, dcorr]
#include "fused.h"

namespace anneal {
namespace {

bool sized(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays, size_t want,
           std::string* error) {
  if (num_ints != 1 || ints[0] < 0 || num_arrays != want) {
    *error = "fused op: wrong arguments for the AIS update";
    return false;
  }
  const size_t n = ints[0];
  for (size_t i = 0; i < want; i++) {
    if (a[i].length != (i == 1 || i == 7 ? 1 : n)) {
      *error = "fused op: AIS update array " + std::to_string(i) + " has the wrong length";
      return false;
    }
  }
  return true;
}

}  // namespace

bool ais_update(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                std::string* error) {
  if (!sized(ints, num_ints, a, num_arrays, 6, error)) return false;
  const size_t n = ints[0];
  const float db = a[1].data[0];
  const float *lw = a[0].data, *lt = a[2].data, *li = a[3].data, *c = a[4].data;
  float* out = a[5].data;
  for (size_t i = 0; i < n; i++) out[i] = lw[i] + db * (lt[i] - li[i]) + c[i];
  return true;
}

bool ais_update_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                     std::string* error) {
  if (!sized(ints, num_ints, a, num_arrays, 11, error)) return false;
  const size_t n = ints[0];
  const float db = a[1].data[0];
  const float *lt = a[2].data, *li = a[3].data, *g = a[5].data;
  double acc = 0.0;
  for (size_t i = 0; i < n; i++) {
    a[6].data[i] = g[i];
    acc += static_cast<double>(g[i]) * (lt[i] - li[i]);
    a[8].data[i] = g[i] * db;
    a[9].data[i] = -g[i] * db;
    a[10].data[i] = g[i];
  }
  a[7].data[0] = static_cast<float>(acc);
  return true;
}

}  // namespace anneal

// Adam's update for one parameter tensor in one pass, with the arithmetic of TF.js's AdamOptimizer
// (float32, the same order of operations), so a run agrees with TF.js's optimizer to float32
// accuracy while taking one kernel per variable instead of about fifteen.
//
// ints [n]; scalars [learning rate, beta1, beta2, epsilon, 1 - beta1^t, 1 - beta2^t, gradient
// scale]; arrays [value, m, v, gradient, value', m', v'] of n floats each. The outputs may be the
// inputs themselves (an update in place): each element is read before it is written.
#include "fused_common.h"

namespace anneal {

bool adam_update(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                 Span* arrays, size_t num_arrays, std::string* error) {
  if (num_ints != 1 || num_scalars != 7 || num_arrays != 7 || ints[0] < 0) {
    *error = "fused op: wrong arguments for adam";
    return false;
  }
  const size_t n = static_cast<size_t>(ints[0]);
  for (size_t i = 0; i < 7; i++) {
    if (arrays[i].length != n) {
      *error = "fused op: adam arrays must all have the parameter's size";
      return false;
    }
  }
  const float lr = static_cast<float>(scalars[0]);
  const float b1 = static_cast<float>(scalars[1]), c1 = static_cast<float>(1.0 - scalars[1]);
  const float b2 = static_cast<float>(scalars[2]), c2 = static_cast<float>(1.0 - scalars[2]);
  const float eps = static_cast<float>(scalars[3]);
  const float omb1 = static_cast<float>(scalars[4]), omb2 = static_cast<float>(scalars[5]);
  const float scale = static_cast<float>(scalars[6]);
  const float *value = arrays[0].data, *m = arrays[1].data, *v = arrays[2].data,
              *grad = arrays[3].data;
  float *out = arrays[4].data, *m_out = arrays[5].data, *v_out = arrays[6].data;
  // Large parameters are split over the threads (elements are independent).
  fused::for_rows(n, 8, [&](int, size_t lo, size_t hi) {
    // Element i of every array is read before element i of any output is written, so the loop
    // vectorizes whether or not the outputs are the inputs.
#pragma GCC ivdep
    for (size_t i = lo; i < hi; i++) {
      const float g = scale == 1.0f ? grad[i] : grad[i] * scale;
      const float nm = m[i] * b1 + g * c1;
      const float nv = v[i] * b2 + (g * g) * c2;
      const float next = ((nm / omb1) / (std::sqrt(nv / omb2) + eps)) * (-lr) + value[i];
      m_out[i] = nm;
      v_out[i] = nv;
      out[i] = next;
    }
  });
  return true;
}

}  // namespace anneal

// Ancestor indices of index-based resampling within systems, as the TF.js ops compute them with
// the native kernels on (resampling.ts): per system, weights exp(logW - max) (max 0 where it is
// not finite), their running sum in float32, and for each position u * total the first index
// whose running sum exceeds it (capped at n - 1); returned as flat float indices b n + i.
//
// Ancestors  ints [B, n, scheme]: 0 multinomial (u [B, n], positions u),
//                                 1 stratified (u [B, n], positions (i + u) / n),
//                                 2 systematic (u [B], positions (i + u) / n)
//            arrays [logW (B n), u, flat (B n)]
#include <algorithm>
#include <cmath>
#include <vector>

#include "fused.h"
#include "vecmath.h"

namespace anneal {

bool ancestors(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
               std::string* error) {
  if (num_ints != 3 || num_arrays != 3 || ints[0] < 0 || ints[1] < 1 || ints[2] < 0 ||
      ints[2] > 2) {
    *error = "fused op: wrong arguments for ancestors";
    return false;
  }
  const int64_t b = ints[0], n = ints[1], scheme = ints[2];
  const size_t bn = static_cast<size_t>(b * n);
  if (a[0].length != bn || a[1].length != (scheme == 2 ? static_cast<size_t>(b) : bn) ||
      a[2].length != bn) {
    *error = "fused op: ancestor arrays have the wrong length";
    return false;
  }
  std::vector<float> cdf(n);
  const float fn = static_cast<float>(n);
  for (int64_t s = 0; s < b; s++) {
    const float* lw = a[0].data + s * n;
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = std::max(m, lw[i]);
    const float shift = std::isfinite(m) ? m : 0.0f;
    float run = 0.0f;
    for (int64_t i = 0; i < n; i++) {
      run += vexp(lw[i] - shift);
      cdf[i] = run;
    }
    const float total = cdf[n - 1];
    float* out = a[2].data + s * n;
    for (int64_t i = 0; i < n; i++) {
      float pos;
      if (scheme == 0) pos = a[1].data[s * n + i];
      else if (scheme == 1) pos = (static_cast<float>(i) + a[1].data[s * n + i]) / fn;
      else pos = (static_cast<float>(i) + a[1].data[s]) / fn;
      const float target = pos * total;
      // 'right' search: the number of running sums <= target.
      const int64_t idx = std::upper_bound(cdf.begin(), cdf.end(), target) - cdf.begin();
      out[i] = static_cast<float>(s * n + std::min<int64_t>(idx, n - 1));
    }
  }
  return true;
}

}  // namespace anneal

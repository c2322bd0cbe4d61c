// Dense-layer kernels: y = act(x W + b) in one pass (the GEMM, then bias and activation on the
// output while it is in cache), the tanh backward dy (1 - y^2), and column sums (reductions over
// leading axes, which TF.js's wasm Sum does by transposing first).
//
// Dense:         ints [m, k, n, activation (0 linear, 1 tanh)]; arrays [x (m k), w (k n), b (n), y]
// TanhBackward:  ints [size];                                    arrays [dy, y, out]
// ColumnSums:    ints [rows, cols];                              arrays [x (rows cols), out (cols)]
#include "fused_common.h"

namespace anneal {

bool dense_forward(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                   std::string* error) {
  if (num_ints != 4 || num_arrays != 4) {
    *error = "fused op: wrong arguments for dense";
    return false;
  }
  const int64_t m = ints[0], k = ints[1], n = ints[2], act = ints[3];
  if (m < 0 || k < 0 || n < 0 || act < 0 || act > 1 || a[0].length != static_cast<size_t>(m * k) ||
      a[1].length != static_cast<size_t>(k * n) || a[2].length != static_cast<size_t>(n) ||
      a[3].length != static_cast<size_t>(m * n)) {
    *error = "fused op: dense sizes do not match";
    return false;
  }
  float* y = a[3].data;
  sgemm(false, false, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a[0].data,
        static_cast<int>(k), a[1].data, static_cast<int>(n), y, static_cast<int>(n));
  const float* b = a[2].data;
  // Bias and activation row by row, split over threads for large outputs (rows are independent,
  // so the result does not depend on the split).
  fused::for_rows(static_cast<size_t>(m), static_cast<size_t>(n) / (act == 1 ? 2 : 8),
                  [&](int, size_t lo, size_t hi) {
                    for (size_t i = lo; i < hi; i++) {
                      float* row = y + i * n;
                      if (act == 1) {
                        for (int64_t j = 0; j < n; j++) row[j] = vtanh(row[j] + b[j]);
                      } else {
                        for (int64_t j = 0; j < n; j++) row[j] = row[j] + b[j];
                      }
                    }
                  });
  return true;
}

bool tanh_backward(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                   std::string* error) {
  if (num_ints != 1 || num_arrays != 3 || ints[0] < 0 || a[0].length != static_cast<size_t>(ints[0]) ||
      a[1].length != a[0].length || a[2].length != a[0].length) {
    *error = "fused op: wrong arguments for tanh backward";
    return false;
  }
  const float *dy = a[0].data, *y = a[1].data;
  float* out = a[2].data;
  for (size_t i = 0; i < a[0].length; i++) out[i] = dy[i] * (1.0f - y[i] * y[i]);
  return true;
}

bool column_sums(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                 std::string* error) {
  if (num_ints != 2 || num_arrays != 2 || ints[0] < 0 || ints[1] < 0 ||
      a[0].length != static_cast<size_t>(ints[0]) * ints[1] ||
      a[1].length != static_cast<size_t>(ints[1])) {
    *error = "fused op: wrong arguments for column sums";
    return false;
  }
  const size_t rows = ints[0], cols = ints[1];
  float* out = a[1].data;
  std::fill(out, out + cols, 0.0f);
  for (size_t i = 0; i < rows; i++) {
    const float* row = a[0].data + i * cols;
    for (size_t j = 0; j < cols; j++) out[j] += row[j];
  }
  return true;
}

}  // namespace anneal

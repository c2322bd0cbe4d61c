// Rows of several arrays picked by one index (SMC resampling moves every field of the particles'
// state by the same ancestor indices), and the gradient: each picked row's adjoint added back to
// the row it came from.
//
// GatherRows      ints [rows out, rows in, k, width_1 .. width_k]
//                 arrays [index (rows out; whole numbers in [0, rows in)), x_1 .. x_k, y_1 .. y_k]
// GatherRowsGrad  ints as above
//                 arrays [index, x_1 .. x_k, dy_1 .. dy_k, dx_1 .. dx_k]
#include <cstring>
#include <vector>

#include "fused.h"

namespace anneal {
namespace {

bool layout(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays, bool grad,
            std::vector<int64_t>* widths, std::vector<int64_t>* index, std::string* error) {
  if (num_ints < 3 || ints[0] < 0 || ints[1] < 1 || ints[2] < 1 ||
      num_ints != 3 + static_cast<size_t>(ints[2]) ||
      num_arrays != 1 + (grad ? 3 : 2) * static_cast<size_t>(ints[2])) {
    *error = "fused op: wrong arguments for gathering rows";
    return false;
  }
  const int64_t out = ints[0], in = ints[1], k = ints[2];
  if (a[0].length != static_cast<size_t>(out)) {
    *error = "fused op: the row index has the wrong length";
    return false;
  }
  for (int64_t i = 0; i < k; i++) {
    const int64_t w = ints[3 + i];
    if (w < 1 || a[1 + i].length != static_cast<size_t>(in * w) ||
        a[1 + k + i].length != static_cast<size_t>(out * w) ||
        (grad && a[1 + 2 * k + i].length != static_cast<size_t>(in * w))) {
      *error = "fused op: gathered array " + std::to_string(i) + " has the wrong size";
      return false;
    }
    widths->push_back(w);
  }
  index->resize(out);
  for (int64_t r = 0; r < out; r++) {
    const float f = a[0].data[r];
    const int64_t j = static_cast<int64_t>(f);
    if (!(f >= 0.0f) || j >= in || static_cast<float>(j) != f) {
      *error = "fused op: row index " + std::to_string(f) + " outside [0, " + std::to_string(in) + ")";
      return false;
    }
    (*index)[r] = j;
  }
  return true;
}

}  // namespace

bool gather_rows(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                 std::string* error) {
  std::vector<int64_t> widths, index;
  if (!layout(ints, num_ints, a, num_arrays, false, &widths, &index, error)) return false;
  const int64_t k = ints[2];
  for (int64_t i = 0; i < k; i++) {
    const int64_t w = widths[i];
    const float* x = a[1 + i].data;
    float* y = a[1 + k + i].data;
    for (size_t r = 0; r < index.size(); r++)
      std::memcpy(y + r * w, x + index[r] * w, sizeof(float) * w);
  }
  return true;
}

bool gather_rows_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                      std::string* error) {
  std::vector<int64_t> widths, index;
  if (!layout(ints, num_ints, a, num_arrays, true, &widths, &index, error)) return false;
  const int64_t k = ints[2];
  for (int64_t i = 0; i < k; i++) {
    const int64_t w = widths[i];
    const float* dy = a[1 + k + i].data;
    float* dx = a[1 + 2 * k + i].data;
    std::memset(dx, 0, sizeof(float) * a[1 + 2 * k + i].length);
    for (size_t r = 0; r < index.size(); r++) {
      float* row = dx + index[r] * w;
      const float* src = dy + r * w;
      for (int64_t j = 0; j < w; j++) row[j] += src[j];
    }
  }
  return true;
}

}  // namespace anneal

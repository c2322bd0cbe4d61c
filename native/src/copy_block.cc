// One strided block copied from one array into another: the data movement of slice, split,
// concat and row-repeating tile, which tfjs-backend-wasm runs as JavaScript loops of small
// copies (and, for slice, after copying the whole input out of the heap).
//
// CopyBlock: ints [rows, cols, src_stride, src_offset, dst_stride, dst_offset]; arrays [src, dst]
//   dst[dst_offset + r dst_stride + c] = src[src_offset + r src_stride + c], r < rows, c < cols.
//   A source stride of 0 repeats one row.
#include <cstring>

#include "fused.h"
#include "fused_common.h"

namespace anneal {

namespace {

// Whether rows of cols elements at offset, offset + stride, ... all lie inside length.
bool block_fits(int64_t rows, int64_t cols, int64_t stride, int64_t offset, size_t length) {
  if (rows == 0 || cols == 0) return offset >= 0;
  return stride >= 0 && offset >= 0 && offset + (rows - 1) * stride + cols <= static_cast<int64_t>(length);
}

}  // namespace

bool copy_block(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                std::string* error) {
  if (num_ints != 6 || num_arrays != 2) {
    *error = "fused op: wrong arguments for copy block";
    return false;
  }
  const int64_t rows = ints[0], cols = ints[1], src_stride = ints[2], src_offset = ints[3],
                dst_stride = ints[4], dst_offset = ints[5];
  if (rows < 0 || cols < 0 || !block_fits(rows, cols, src_stride, src_offset, a[0].length) ||
      !block_fits(rows, cols, dst_stride, dst_offset, a[1].length) ||
      (rows > 1 && dst_stride < cols)) {
    *error = "fused op: copy block outside its arrays";
    return false;
  }
  const float* src = a[0].data + src_offset;
  float* dst = a[1].data + dst_offset;
  const size_t bytes = static_cast<size_t>(cols) * sizeof(float);
  if (src_stride == cols && dst_stride == cols) {
    std::memcpy(dst, src, bytes * static_cast<size_t>(rows));
    return true;
  }
  for (int64_t r = 0; r < rows; r++) std::memcpy(dst + r * dst_stride, src + r * src_stride, bytes);
  return true;
}

}  // namespace anneal

// Node-API bindings. Every entry point takes Float32Array views (in anneal, views into the wasm
// backend's heap, so nothing is copied), checks their lengths against the sizes it is given, and
// throws a TypeError or RangeError rather than touching memory outside them.
#include <node_api.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "denormals.h"
#include "elementwise.h"
#include "gemm.h"
#include "rng.h"
#include "fused.h"

namespace {

using anneal::Unary;

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};

bool throw_error(napi_env env, const char* msg) {
  napi_throw_range_error(env, nullptr, msg);
  return false;
}

bool get_f32(napi_env env, napi_value v, F32* out, const char* what) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) {
    std::string m = std::string(what) + " must be a Float32Array";
    napi_throw_type_error(env, nullptr, m.c_str());
    return false;
  }
  napi_typedarray_type type;
  void* data;
  size_t length;
  napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) {
    std::string m = std::string(what) + " must be a Float32Array";
    napi_throw_type_error(env, nullptr, m.c_str());
    return false;
  }
  out->data = static_cast<float*>(data);
  out->length = length;
  return true;
}

bool get_i64(napi_env env, napi_value v, int64_t* out, const char* what) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    std::string m = std::string(what) + " must be a number";
    napi_throw_type_error(env, nullptr, m.c_str());
    return false;
  }
  return true;
}

bool get_bool(napi_env env, napi_value v, bool* out) {
  return napi_get_value_bool(env, v, out) == napi_ok;
}

template <size_t N>
bool get_args(napi_env env, napi_callback_info info, napi_value (&args)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < N) {
    napi_throw_type_error(env, nullptr, "too few arguments");
    return false;
  }
  return true;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB): for each batch index i,
// c[i] = op(a[i]) op(b[i]) with a[i] = a + i * strideA (0 broadcasts one matrix).
napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value args[11];
  if (!get_args(env, info, args)) return nullptr;
  F32 a, b, c;
  int64_t batch, m, n, k, sa, sb;
  bool ta, tb;
  if (!get_f32(env, args[0], &a, "a") || !get_f32(env, args[1], &b, "b") ||
      !get_f32(env, args[2], &c, "c") || !get_i64(env, args[3], &batch, "batch") ||
      !get_i64(env, args[4], &m, "m") || !get_i64(env, args[5], &n, "n") ||
      !get_i64(env, args[6], &k, "k") || !get_bool(env, args[7], &ta) ||
      !get_bool(env, args[8], &tb) || !get_i64(env, args[9], &sa, "strideA") ||
      !get_i64(env, args[10], &sb, "strideB"))
    return nullptr;
  const int64_t limit = INT32_MAX;
  if (batch < 1 || m < 0 || n < 0 || k < 0 || m > limit || n > limit || k > limit || sa < 0 ||
      sb < 0) {
    throw_error(env, "gemm: bad sizes");
    return nullptr;
  }
  if (static_cast<uint64_t>((batch - 1) * sa + m * k) > a.length ||
      static_cast<uint64_t>((batch - 1) * sb + k * n) > b.length ||
      static_cast<uint64_t>(batch * m * n) > c.length) {
    throw_error(env, "gemm: arrays are shorter than the sizes given");
    return nullptr;
  }
  int lda = static_cast<int>(ta ? m : k);
  int ldb = static_cast<int>(tb ? k : n);
  for (int64_t i = 0; i < batch; i++) {
    anneal::sgemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                  a.data + i * sa, lda, b.data + i * sb, ldb, c.data + i * m * n,
                  static_cast<int>(n));
  }
  return undefined(env);
}

// unary(op, x, y): y = f(x) element-wise, op an index into anneal::Unary.
napi_value UnaryOp(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!get_args(env, info, args)) return nullptr;
  int64_t op;
  F32 x, y;
  if (!get_i64(env, args[0], &op, "op") || !get_f32(env, args[1], &x, "x") ||
      !get_f32(env, args[2], &y, "y"))
    return nullptr;
  if (op < 0 || op >= anneal::kUnaryCount) {
    throw_error(env, "unary: unknown op");
    return nullptr;
  }
  if (y.length < x.length) {
    throw_error(env, "unary: output shorter than input");
    return nullptr;
  }
  anneal::unary(static_cast<Unary>(op), x.data, y.data, x.length);
  return undefined(env);
}

// binary(op, a, aMode, b, bMode, out, rows, cols): out[rows x cols] = op(a, b), each operand
// broadcast as its mode (anneal::Broadcast) says; op an index into anneal::Binary.
napi_value BinaryOp(napi_env env, napi_callback_info info) {
  napi_value args[8];
  size_t argc = 8;
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc != 8) {
    throw_error(env, "binary: expected 8 arguments");
    return nullptr;
  }
  int64_t op, am, bm, rows, cols;
  F32 a, b, out;
  if (!get_i64(env, args[0], &op, "op") || !get_f32(env, args[1], &a, "a") ||
      !get_i64(env, args[2], &am, "aMode") || !get_f32(env, args[3], &b, "b") ||
      !get_i64(env, args[4], &bm, "bMode") || !get_f32(env, args[5], &out, "out") ||
      !get_i64(env, args[6], &rows, "rows") || !get_i64(env, args[7], &cols, "cols"))
    return nullptr;
  if (op < 0 || op >= anneal::kBinaryCount || am < 0 || am >= anneal::kBroadcastCount || bm < 0 ||
      bm >= anneal::kBroadcastCount || rows < 0 || cols < 0) {
    throw_error(env, "binary: unknown op or mode, or negative sizes");
    return nullptr;
  }
  const uint64_t n = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  auto needed = [&](int64_t mode) -> uint64_t {
    switch (static_cast<anneal::Broadcast>(mode)) {
      case anneal::Broadcast::Full: return n;
      case anneal::Broadcast::Row: return static_cast<uint64_t>(cols);
      case anneal::Broadcast::Column: return static_cast<uint64_t>(rows);
      case anneal::Broadcast::Scalar: return 1;
    }
    return n;
  };
  if (out.length < n || (n > 0 && (a.length < needed(am) || b.length < needed(bm)))) {
    throw_error(env, "binary: arrays are shorter than the sizes given");
    return nullptr;
  }
  if (n > 0)
    anneal::binary(static_cast<anneal::Binary>(op), a.data, static_cast<anneal::Broadcast>(am),
                   b.data, static_cast<anneal::Broadcast>(bm), out.data,
                   static_cast<size_t>(rows), static_cast<size_t>(cols));
  return undefined(env);
}

bool get_u32(napi_env env, napi_value v, uint32_t* out, const char* what) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) {
    std::string m = std::string(what) + " must be a number";
    napi_throw_type_error(env, nullptr, m.c_str());
    return false;
  }
  return true;
}

bool get_f64(napi_env env, napi_value v, double* out, const char* what) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    std::string m = std::string(what) + " must be a number";
    napi_throw_type_error(env, nullptr, m.c_str());
    return false;
  }
  return true;
}

// normals(k0, k1, counter, out): fills a Float32Array or Float64Array with one draw of normals.
napi_value Normals(napi_env env, napi_callback_info info) {
  napi_value args[4];
  if (!get_args(env, info, args)) return nullptr;
  uint32_t k0, k1;
  double counter;
  if (!get_u32(env, args[0], &k0, "k0") || !get_u32(env, args[1], &k1, "k1") ||
      !get_f64(env, args[2], &counter, "counter"))
    return nullptr;
  bool is_typed = false;
  napi_is_typedarray(env, args[3], &is_typed);
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  size_t length = 0;
  if (is_typed) napi_get_typedarray_info(env, args[3], &type, &length, &data, nullptr, nullptr);
  if (type == napi_float32_array) {
    anneal::normals_f32(k0, k1, counter, static_cast<float*>(data), length);
  } else if (type == napi_float64_array) {
    anneal::normals_f64(k0, k1, counter, static_cast<double*>(data), length);
  } else {
    napi_throw_type_error(env, nullptr, "out must be a Float32Array or Float64Array");
    return nullptr;
  }
  return undefined(env);
}

// uniforms(k0, k1, counter, lo, hi, out): one draw of uniforms in [lo, hi) into a Float32Array.
napi_value Uniforms(napi_env env, napi_callback_info info) {
  napi_value args[6];
  if (!get_args(env, info, args)) return nullptr;
  uint32_t k0, k1;
  double counter, lo, hi;
  F32 out;
  if (!get_u32(env, args[0], &k0, "k0") || !get_u32(env, args[1], &k1, "k1") ||
      !get_f64(env, args[2], &counter, "counter") || !get_f64(env, args[3], &lo, "lo") ||
      !get_f64(env, args[4], &hi, "hi") || !get_f32(env, args[5], &out, "out"))
    return nullptr;
  anneal::uniforms_f32(k0, k1, counter, lo, hi, out.data, out.length);
  return undefined(env);
}

// fused(op, ints: Int32Array, scalars: Float64Array, arrays: Float32Array[]): see fused.h.
napi_value Fused(napi_env env, napi_callback_info info) {
  napi_value args[4];
  if (!get_args(env, info, args)) return nullptr;
  int64_t op;
  if (!get_i64(env, args[0], &op, "op")) return nullptr;
  napi_typedarray_type type;
  size_t num_ints = 0, num_scalars = 0;
  void* ints = nullptr;
  void* scalars = nullptr;
  bool typed = false;
  napi_is_typedarray(env, args[1], &typed);
  if (typed) napi_get_typedarray_info(env, args[1], &type, &num_ints, &ints, nullptr, nullptr);
  if (!typed || type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "ints must be an Int32Array");
    return nullptr;
  }
  napi_is_typedarray(env, args[2], &typed);
  if (typed) napi_get_typedarray_info(env, args[2], &type, &num_scalars, &scalars, nullptr, nullptr);
  if (!typed || type != napi_float64_array) {
    napi_throw_type_error(env, nullptr, "scalars must be a Float64Array");
    return nullptr;
  }
  bool is_array = false;
  napi_is_array(env, args[3], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, nullptr, "arrays must be an array of Float32Arrays");
    return nullptr;
  }
  uint32_t count = 0;
  napi_get_array_length(env, args[3], &count);
  if (count > 64) {
    throw_error(env, "fused op: too many arrays");
    return nullptr;
  }
  anneal::Span spans[64];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, args[3], i, &item);
    F32 f;
    if (!get_f32(env, item, &f, "each array")) return nullptr;
    spans[i] = anneal::Span{f.data, f.length};
  }
  std::string error;
  // The annealing kernels flush subnormals (see denormals.h); GEMM and the element-wise ops keep
  // IEEE semantics, as TF.js's own kernels do.
  anneal::FlushDenormals ftz;
  if (!anneal::run_fused(static_cast<int>(op), static_cast<const int32_t*>(ints), num_ints,
                         static_cast<const double*>(scalars), num_scalars, spans, count, &error)) {
    throw_error(env, error.c_str());
    return nullptr;
  }
  return undefined(env);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value args[1];
  if (!get_args(env, info, args)) return nullptr;
  int64_t t;
  if (!get_i64(env, args[0], &t, "threads")) return nullptr;
  if (t < 1 || t > 256) {
    throw_error(env, "threads must be in 1..256");
    return nullptr;
  }
  anneal::set_gemm_threads(static_cast<int>(t));
  return undefined(env);
}

napi_value Info(napi_env env, napi_callback_info) {
#if defined(__AVX512F__)
  const char* simd = "avx512";
#elif defined(__AVX2__)
  const char* simd = "avx2";
#elif defined(__AVX__)
  const char* simd = "avx";
#elif defined(__ARM_NEON)
  const char* simd = "neon";
#else
  const char* simd = "generic";
#endif
  napi_value obj, s, t;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, simd, NAPI_AUTO_LENGTH, &s);
  napi_create_int32(env, anneal::gemm_threads(), &t);
  napi_set_named_property(env, obj, "simd", s);
  napi_set_named_property(env, obj, "threads", t);
  return obj;
}

void add(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

}  // namespace

NAPI_MODULE_INIT() {
  add(env, exports, "gemm", Gemm);
  add(env, exports, "unary", UnaryOp);
  add(env, exports, "binary", BinaryOp);
  add(env, exports, "fused", Fused);
  add(env, exports, "normals", Normals);
  add(env, exports, "uniforms", Uniforms);
  add(env, exports, "setThreads", SetThreads);
  add(env, exports, "info", Info);
  return exports;
}

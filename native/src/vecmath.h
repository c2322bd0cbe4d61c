// Single-precision elementary functions written without branches or library calls, so that the
// compiler vectorizes the loops that call them (AVX-512 / AVX2 / NEON with -march=native).
// Polynomial coefficients are the classic minimax fits for float (Cephes); range reduction in
// float with a split ln 2. Errors are within a few float32 ulps of the correctly rounded value
// (tested against float64 in test/native.test.ts). Results below the smallest normal float flush
// towards zero more eagerly than libm does; NaN and infinities follow IEEE semantics.
#pragma once
#include <cstdint>
#include <cstring>

namespace anneal {

static inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// 2^n for an integer-valued float n in [-64, 64].
static inline float pow2i(float n) {
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it leaves the integer in the low bits
  uint32_t i = float_bits(n + shifter) - float_bits(shifter);
  return bits_float((i + 127u) << 23);
}

static inline float vexp(float x) {
  const float lo = -104.0f, hi = 89.0f;  // beyond these the result is 0 or +inf anyway
  float xc = x < lo ? lo : (x > hi ? hi : x);
  const float shifter = 12582912.0f;
  float n = (xc * 1.44269504088896341f + shifter) - shifter;  // round to nearest
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // Scale by 2^n in two halves so that neither factor leaves the normal range.
  float n1 = (n * 0.5f + shifter) - shifter;
  n1 = n1 > n * 0.5f ? n1 - 1.0f : n1;  // floor(n / 2)
  float n2 = n - n1;
  float out = y * pow2i(n1) * pow2i(n2);
  return x != x ? x : out;
}

static inline float vlog(float x) {
  // Subnormal inputs are scaled into the normal range first.
  bool tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;  // 2^23
  uint32_t bits = float_bits(xs);
  float e = static_cast<float>(static_cast<int32_t>((bits >> 23) & 0xffu) - 127) - (tiny ? 23.0f : 0.0f);
  float m = bits_float((bits & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1.0f : e;
  float f = m - 1.0f;
  float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = f + y + e * 0.693359375f;
  const float inf = bits_float(0x7f800000u);
  r = x == inf ? inf : r;
  r = x == 0.0f ? -inf : r;
  r = x < 0.0f ? bits_float(0x7fc00000u) : r;
  return x != x ? x : r;
}

// log(1 + u) for u >= 0, accurate also where 1 + u rounds to 1.
static inline float vlog1p_pos(float u) {
  float w = 1.0f + u;
  float d = w - 1.0f;
  return d == 0.0f ? u : vlog(w) * (u / d);
}

static inline float vtanh(float x) {
  float ax = x < 0.0f ? -x : x;
  // Small |x|: odd polynomial (no cancellation); large: 1 - 2 / (e^{2|x|} + 1).
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = p * z * x + x;
  float t = 1.0f - 2.0f / (vexp(2.0f * ax) + 1.0f);
  float large = x < 0.0f ? -t : t;
  return ax < 0.625f ? small : large;
}

static inline float vsigmoid(float x) { return 1.0f / (1.0f + vexp(-x)); }

// log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}).
static inline float vsoftplus(float x) {
  float ax = x < 0.0f ? -x : x;
  float pos = x > 0.0f ? x : 0.0f;
  float out = pos + vlog1p_pos(vexp(-ax));
  return x != x ? x : out;
}

}  // namespace anneal

// anneal's random streams in C++, bit-identical to src/engine/rng.ts: the same seeding
// (splitmix32), the same xoshiro128** generator, the same uniforms with 53 random bits, and
// Box-Muller normals whose log and sin/cos are the same polynomials evaluated in the same order.
// Only IEEE-754 +, -, *, / and sqrt are used, all correctly rounded, so each result is the same
// double in JavaScript and here. This file must be compiled without floating-point contraction
// (-ffp-contract=off, see binding.gyp): a fused multiply-add would round differently.
#include "rng.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace anneal {
namespace {

inline uint32_t splitmix32(uint32_t& s) {
  s += 0x9e3779b9u;
  uint32_t z = s;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

struct Xoshiro128 {
  uint32_t a, b, c, d;
  Xoshiro128(uint32_t k0, uint32_t k1, double counter) {
    // counter is a JS number below 2^53; Math.imul takes it modulo 2^32.
    uint32_t cnt = static_cast<uint32_t>(static_cast<uint64_t>(counter));
    uint32_t s1 = k0 ^ ((cnt + 1u) * 0x632be5abu);
    uint32_t s2 = k1 ^ ((cnt + 7u) * 0x2545f491u);
    a = splitmix32(s1);
    b = splitmix32(s2);
    c = splitmix32(s1);
    d = splitmix32(s2) | 1u;
  }
  uint32_t next() {
    uint32_t result = rotl(b * 5u, 7) * 9u;
    uint32_t t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  }
  double open_unit() {
    uint32_t hi = next() >> 5;
    uint32_t lo = next() >> 6;
    return (static_cast<double>(hi) * 67108864.0 + static_cast<double>(lo) + 0.5) /
           9007199254740992.0;
  }
};

constexpr double kLn2 = 0.69314718055994529;
constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kTwoPi = 6.2831853071795862;

// log(u) for u in (0, 1): u = 2^e m, m in (1/sqrt2, sqrt2], log m = 2 atanh(s), s = (m-1)/(m+1).
inline double log_open_unit(double u) {
  uint64_t bits;
  std::memcpy(&bits, &u, 8);
  uint32_t hi = static_cast<uint32_t>(bits >> 32);
  double e = static_cast<double>(static_cast<int32_t>((hi >> 20) & 0x7ffu) - 1023);
  uint64_t mbits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  std::memcpy(&m, &mbits, 8);
  bool big = m > kSqrt2;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double s2 = s * s;
  double p = 0.086956521739130432;
  p = 0.095238095238095233 + s2 * p;
  p = 0.10526315789473684 + s2 * p;
  p = 0.11764705882352941 + s2 * p;
  p = 0.13333333333333333 + s2 * p;
  p = 0.15384615384615385 + s2 * p;
  p = 0.18181818181818182 + s2 * p;
  p = 0.22222222222222221 + s2 * p;
  p = 0.28571428571428570 + s2 * p;
  p = 0.40000000000000002 + s2 * p;
  p = 0.66666666666666663 + s2 * p;
  return e * kLn2 + (2.0 * s + s * s2 * p);
}

// cos and sin of 2 pi u for u in (0, 1): quadrant from u, Taylor polynomials on |x| <= pi/4.
// Branch-free (selects on the quadrant), so that the loop calling it vectorizes.
inline double cos_2pi_part(double x2) {
  double cp = 4.7794773323873853e-14;
  cp = -1.1470745597729725e-11 + x2 * cp;
  cp = 2.0876756987868100e-9 + x2 * cp;
  cp = -2.7557319223985888e-7 + x2 * cp;
  cp = 0.000024801587301587302 + x2 * cp;
  cp = -0.0013888888888888889 + x2 * cp;
  cp = 0.041666666666666664 + x2 * cp;
  cp = -0.5 + x2 * cp;
  return 1.0 + x2 * cp;
}

inline double sin_2pi_part(double x, double x2) {
  double sp = 2.8114572543455206e-15;
  sp = -7.6471637318198164e-13 + x2 * sp;
  sp = 1.6059043836821613e-10 + x2 * sp;
  sp = -2.5052108385441720e-8 + x2 * sp;
  sp = 0.0000027557319223985893 + x2 * sp;
  sp = -0.00019841269841269841 + x2 * sp;
  sp = 0.0083333333333333332 + x2 * sp;
  sp = -0.16666666666666666 + x2 * sp;
  return x + x * x2 * sp;
}

template <typename T>
void fill_normals(uint32_t k0, uint32_t k1, double counter, T* out, size_t n) {
  Xoshiro128 g(k0, k1, counter);
  // Uniforms first (the generator is sequential), then the transcendental part in a loop that
  // the compiler vectorizes, a block at a time.
  constexpr size_t kBlock = 256;
  double u1[kBlock], u2[kBlock], z0[kBlock], z1[kBlock];
  for (size_t start = 0; start < n; start += 2 * kBlock) {
    size_t pairs = std::min(kBlock, (n - start + 1) / 2);
    for (size_t i = 0; i < pairs; i++) {
      u1[i] = g.open_unit();
      u2[i] = g.open_unit();
    }
    for (size_t i = 0; i < pairs; i++) {
      double radius = std::sqrt(-2.0 * log_open_unit(u1[i]));
      double u = u2[i];
      double q = std::floor(4.0 * u + 0.5);
      double r = u - q * 0.25;
      double x = r * kTwoPi;
      double x2 = x * x;
      double sn = sin_2pi_part(x, x2);
      double cs = cos_2pi_part(x2);
      // q is 0..4; quadrant 4 is quadrant 0.
      double c = q == 1.0 ? -sn : (q == 2.0 ? -cs : (q == 3.0 ? sn : cs));
      double s = q == 1.0 ? cs : (q == 2.0 ? -sn : (q == 3.0 ? -cs : sn));
      z0[i] = radius * c;
      z1[i] = radius * s;
    }
    size_t base = start;
    for (size_t i = 0; i < pairs; i++) {
      out[base + 2 * i] = static_cast<T>(z0[i]);
      if (base + 2 * i + 1 < n) out[base + 2 * i + 1] = static_cast<T>(z1[i]);
    }
  }
}

}  // namespace

void normals_f32(uint32_t k0, uint32_t k1, double counter, float* out, size_t n) {
  fill_normals(k0, k1, counter, out, n);
}
void normals_f64(uint32_t k0, uint32_t k1, double counter, double* out, size_t n) {
  fill_normals(k0, k1, counter, out, n);
}

void uniforms_f32(uint32_t k0, uint32_t k1, double counter, double lo, double hi, float* out,
                  size_t n) {
  Xoshiro128 g(k0, k1, counter);
  // As rng.ts: lo + (hi - lo) * u in double, then rounded to float.
  double span = hi - lo;
  for (size_t i = 0; i < n; i++) out[i] = static_cast<float>(lo + span * g.open_unit());
}

}  // namespace anneal

// Flush-to-zero and denormals-are-zero for the duration of a native call: float32 adjoints of
// small importance weights reach the subnormal range, where x86 arithmetic is ~100x slower.
// Values below 1.2e-38 become 0; nothing in anneal depends on them.
#pragma once
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define ANNEAL_HAVE_MXCSR 1
#endif

namespace anneal {

inline unsigned float_control() {
#ifdef ANNEAL_HAVE_MXCSR
  return _mm_getcsr();
#else
  return 0;
#endif
}

inline void set_float_control(unsigned csr) {
#ifdef ANNEAL_HAVE_MXCSR
  _mm_setcsr(csr);
#else
  (void)csr;
#endif
}

class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef ANNEAL_HAVE_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ | DAZ
#endif
  }
  ~FlushDenormals() {
#ifdef ANNEAL_HAVE_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace anneal

// The Metropolis decision the native HMC and MALA ops around an arbitrary target end with
// (fused_hmc.cc, fused_mala.cc): each particle takes its proposal where log u < log alpha (NaN
// compares false), as annealing/kernels/metropolis.ts decides it.
#pragma once
#include <cstring>
#include <limits>
#include <string>

#include "fused.h"

namespace anneal {

// The argument counts of an op around a TF.js target: ints [n, d, ...] with n, d >= 0.
inline bool counts_match(const int32_t* ints, size_t num_ints, size_t want_ints,
                         size_t num_scalars, size_t want_scalars, size_t num_arrays,
                         size_t want_arrays, std::string* error, const char* what) {
  if (num_ints != want_ints || num_scalars != want_scalars || num_arrays != want_arrays ||
      ints[0] < 0 || ints[1] < 0) {
    *error = std::string("fused op: wrong arguments for ") + what;
    return false;
  }
  return true;
}

// A step (or its half, or a noise scale) of one value or one per coordinate.
inline bool one_or_d(const Span& x, size_t d, std::string* error) {
  if (x.length == 1 || x.length == d) return true;
  *error = "fused op: a step must hold 1 or d values";
  return false;
}

// The arrays of a decision: the start state and the proposal (z, log target, target score, log
// initial, initial score each), log u per particle, and the outputs: the chosen state's five
// fields, log alpha per particle (NaN as -inf) and the count of diverged proposals (1 value).
struct Decision {
  Span* start;     // 5 arrays
  Span* proposal;  // 5 arrays
  Span* log_u;
  Span* out;       // 7 arrays
  size_t n, d;
  float diverged = 0;

  bool check(std::string* error) const {
    const size_t sizes[5] = {n * d, n, n * d, n, n * d};
    for (int f = 0; f < 5; f++)
      if (start[f].length != sizes[f] || proposal[f].length != sizes[f] ||
          out[f].length != sizes[f]) {
        *error = "fused op: a Metropolis state does not match n x d";
        return false;
      }
    if (log_u->length != n || out[5].length != n || out[6].length != 1) {
      *error = "fused op: Metropolis log u, log alpha or count do not match n";
      return false;
    }
    return true;
  }

  // Particle r's decision at log alpha `la`.
  void decide(size_t r, float la) {
    const bool take = log_u->data[r] < la;
    const Span* from = take ? proposal : start;
    const size_t o = r * d;
    std::memcpy(out[0].data + o, from[0].data + o, d * sizeof(float));
    out[1].data[r] = from[1].data[r];
    std::memcpy(out[2].data + o, from[2].data + o, d * sizeof(float));
    out[3].data[r] = from[3].data[r];
    std::memcpy(out[4].data + o, from[4].data + o, d * sizeof(float));
    if (!(la >= -1000.0f)) diverged += 1;
    out[5].data[r] = la != la ? -std::numeric_limits<float>::infinity() : la;
  }

  void finish() { out[6].data[0] = diverged; }
};

}  // namespace anneal

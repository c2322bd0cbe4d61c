#pragma once
#include <cstddef>
#include <cstdint>

namespace anneal {

// One draw of anneal's Rng (src/engine/rng.ts) from stream key (k0, k1) at draw counter
// `counter`: n standard normals / uniforms in [lo, hi), the same values as the TypeScript code.
void normals_f32(uint32_t k0, uint32_t k1, double counter, float* out, size_t n);
void normals_f64(uint32_t k0, uint32_t k1, double counter, double* out, size_t n);
void uniforms_f32(uint32_t k0, uint32_t k1, double counter, double lo, double hi, float* out,
                  size_t n);

}  // namespace anneal

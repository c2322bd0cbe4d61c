#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "block.h"
#include "op_ids.h"
#include "vecmath.h"

namespace anneal {

constexpr double kLog2Pi = 1.8378770664093453;
constexpr int kMaxComponents = 4096;

// Targets with closed-form log density, score and Hessian-vector product, evaluated one particle
// (row of length dim) at a time. The parameters come from the TypeScript target (nativeSpec()):
//   Funnel:   [scale]                                   z = (v, x_1 .. x_{d-1})
//   ManyWell: []                                        double wells on even coordinates
//   IsoGmm:   [K, 1/s_1 .. 1/s_K, b_1 .. b_K, mu (K x d)]   b_k = log w_k - |mu_k|^2/(2 s_k) - d/2 log(2 pi s_k)

struct Target {
  TargetKind kind;
  int dim;
  const float* params;
  size_t num_params;
  // Constants derived from params once per call (funnel: -1/(2 s^2), log normalizers, 1/s^2).
  float c0 = 0.0f, c1 = 0.0f, c2 = 0.0f;

  Target() = default;
  Target(TargetKind k, int d, const float* p, size_t np);
  // Whether params has the layout kind and dim need (checked before any evaluation).
  bool valid() const;
};

// The initial distribution N(mean, diag(exp(logScale))^2) of the geometric path.
struct DiagGaussian {
  int dim;
  const float* mean;
  const float* log_scale;
  float log_norm;  // sum logScale + d/2 log 2 pi
  std::vector<float> inv_scale;
  explicit DiagGaussian(int d, const float* m, const float* ls);
  void eval(const float* __restrict z, float* __restrict logp, float* __restrict score) const;
};

// One evaluator type per kind, working on blocks of W particles in transposed layout
// (block.h): eval writes log pi [W] and its score [d x W]; hvp writes H u [d x W]. `work` is
// per-thread scratch of work_size() floats. The fused steps are templates over the evaluators
// (with_target), so the kind is chosen once per call and the arithmetic inlines into their loops.

struct FunnelEval {
  int d;
  float c0, c1, c2;  // 0.5 log(2 pi s^2), (d-1)/2 log 2 pi, 1/s^2
  explicit FunnelEval(const Target& t) : d(t.dim), c0(t.c0), c1(t.c1), c2(t.c2) {}
  size_t work_size() const { return 2 * W; }
  void eval(const float* __restrict z, float* __restrict logp, float* __restrict score,
            float* __restrict work) const {
    // log N(v; 0, s^2) + sum_i log N(x_i; 0, e^v), z = (v, x)
    float* sum_sq = work;
    float* e = work + W;
    LANES sum_sq[r] = 0.0f;
    for (int j = 1; j < d; j++)
      LANES sum_sq[r] += z[j * W + r] * z[j * W + r];
    const float m = static_cast<float>(d - 1);
    LANES {
      const float v = z[r];
      e[r] = vexp(-v);
      logp[r] = (-0.5f * c2) * v * v - c0 - (0.5f * (sum_sq[r] * e[r] + m * v) + c1);
      score[r] = -v * c2 + 0.5f * sum_sq[r] * e[r] - 0.5f * m;
    }
    for (int j = 1; j < d; j++)
      LANES score[j * W + r] = -z[j * W + r] * e[r];
  }
  void hvp(const float* __restrict z, const float* __restrict u, float* __restrict out,
           float* __restrict work) const {
    float* sum_sq = work;
    float* xu = work + W;
    LANES sum_sq[r] = xu[r] = 0.0f;
    for (int j = 1; j < d; j++)
      LANES {
        sum_sq[r] += z[j * W + r] * z[j * W + r];
        xu[r] += z[j * W + r] * u[j * W + r];
      }
    LANES {
      const float e = vexp(-z[r]);
      out[r] = (-c2 - 0.5f * sum_sq[r] * e) * u[r] + e * xu[r];
      xu[r] = e;  // reused below as e^{-v}
    }
    for (int j = 1; j < d; j++)
      LANES out[j * W + r] = xu[r] * (z[j * W + r] * u[r] - u[j * W + r]);
  }
};

struct ManyWellEval {
  int d;
  explicit ManyWellEval(const Target& t) : d(t.dim) {}
  size_t work_size() const { return 0; }
  void eval(const float* __restrict z, float* __restrict logp, float* __restrict score,
            float*) const {
    // Even coordinates: -x^4 + 6 x^2 + 0.5 x; odd: -x^2 / 2.
    LANES logp[r] = 0.0f;
    for (int j = 0; j < d; j += 2)
      LANES {
        const float x = z[j * W + r], y = z[(j + 1) * W + r];
        const float x2 = x * x;
        logp[r] += x2 * (6.0f - x2) + 0.5f * x - 0.5f * y * y;
        score[j * W + r] = 4.0f * x * (3.0f - x2) + 0.5f;
        score[(j + 1) * W + r] = -y;
      }
  }
  void hvp(const float* __restrict z, const float* __restrict u, float* __restrict out,
           float*) const {
    for (int j = 0; j < d; j += 2)
      LANES {
        const float x = z[j * W + r];
        out[j * W + r] = 12.0f * (1.0f - x * x) * u[j * W + r];
        out[(j + 1) * W + r] = -u[(j + 1) * W + r];
      }
  }
};

struct IsoGmmEval {
  int d, K;
  const float* inv_var;
  const float* bias;
  const float* mu;
  explicit IsoGmmEval(const Target& t)
      : d(t.dim),
        K(static_cast<int>(t.params[0])),
        inv_var(t.params + 1),
        bias(t.params + 1 + K),
        mu(t.params + 1 + 2 * K) {}
  size_t work_size() const { return (2 * static_cast<size_t>(K) + 4) * W + static_cast<size_t>(d) * W; }

  // Responsibilities r [K x W] of the components l_k = b_k + (z . mu_k - |z|^2 / 2) / s_k;
  // writes log sum_k exp(l_k) into lse [W].
  void responsibilities(const float* __restrict z, float* __restrict resp, float* __restrict lse,
                        float* __restrict tmp) const {
    float* half_sq = tmp;
    float* m = tmp + W;
    float* s = tmp + 2 * W;
    LANES {
      half_sq[r] = 0.0f;
      m[r] = -INFINITY;
      s[r] = 0.0f;
    }
    for (int j = 0; j < d; j++)
      LANES half_sq[r] += z[j * W + r] * z[j * W + r];
    for (int k = 0; k < K; k++) {
      float* l = resp + k * W;
      const float* mk = mu + static_cast<size_t>(k) * d;
      LANES l[r] = 0.0f;
      for (int j = 0; j < d; j++)
        LANES l[r] += z[j * W + r] * mk[j];
      LANES {
        l[r] = (l[r] - 0.5f * half_sq[r]) * inv_var[k] + bias[k];
        m[r] = l[r] > m[r] ? l[r] : m[r];
      }
    }
    for (int k = 0; k < K; k++)
      LANES {
        resp[k * W + r] = vexp(resp[k * W + r] - m[r]);
        s[r] += resp[k * W + r];
      }
    LANES {
      lse[r] = m[r] + vlog(s[r]);
      s[r] = 1.0f / s[r];
    }
    for (int k = 0; k < K; k++)
      LANES resp[k * W + r] *= s[r];
  }

  void eval(const float* __restrict z, float* __restrict logp, float* __restrict score,
            float* __restrict work) const {
    float* resp = work;
    float* tmp = work + static_cast<size_t>(K) * W;
    responsibilities(z, resp, logp, tmp);
    // score = sum_k r_k (mu_k - z) / s_k
    float* total = tmp;
    LANES total[r] = 0.0f;
    for (int j = 0; j < d; j++)
      LANES score[j * W + r] = 0.0f;
    for (int k = 0; k < K; k++) {
      float* w = resp + k * W;
      LANES {
        w[r] *= inv_var[k];
        total[r] += w[r];
      }
      const float* mk = mu + static_cast<size_t>(k) * d;
      for (int j = 0; j < d; j++)
        LANES score[j * W + r] += w[r] * mk[j];
    }
    for (int j = 0; j < d; j++)
      LANES score[j * W + r] -= total[r] * z[j * W + r];
  }

  // H u = sum_k r_k (a_k . u) a_k - (abar . u) abar - (sum_k r_k / s_k) u, with
  // a_k = (mu_k - z) / s_k and abar = sum_k r_k a_k (the score).
  void hvp(const float* __restrict z, const float* __restrict u, float* __restrict out,
           float* __restrict work) const {
    float* resp = work;
    float* au = work + static_cast<size_t>(K) * W;
    float* tmp = au + static_cast<size_t>(K) * W;
    float* abar = tmp + 4 * W;
    float lse[W];
    responsibilities(z, resp, lse, tmp);
    float* total = tmp;
    float* abar_u = tmp + W;
    LANES total[r] = abar_u[r] = 0.0f;
    for (int j = 0; j < d; j++)
      LANES out[j * W + r] = abar[j * W + r] = 0.0f;
    for (int k = 0; k < K; k++) {
      const float* mk = mu + static_cast<size_t>(k) * d;
      float* a = au + k * W;
      LANES a[r] = 0.0f;
      for (int j = 0; j < d; j++)
        LANES a[r] += (mk[j] - z[j * W + r]) * u[j * W + r];
      float* w = resp + k * W;
      LANES {
        w[r] *= inv_var[k];             // r_k / s_k
        total[r] += w[r];
        a[r] = w[r] * a[r] * inv_var[k];  // r_k (a_k . u) / s_k
      }
      for (int j = 0; j < d; j++)
        LANES {
          const float diff = mk[j] - z[j * W + r];
          out[j * W + r] += a[r] * diff;
          abar[j * W + r] += w[r] * diff;
        }
    }
    for (int j = 0; j < d; j++)
      LANES abar_u[r] += abar[j * W + r] * u[j * W + r];
    for (int j = 0; j < d; j++)
      LANES
        out[j * W + r] -= abar_u[r] * abar[j * W + r] + total[r] * u[j * W + r];
  }
};

// Calls f(evaluator) with the evaluator of t's kind.
template <typename F>
void with_target(const Target& t, F&& f) {
  switch (t.kind) {
    case TargetKind::Funnel: f(FunnelEval(t)); return;
    case TargetKind::ManyWell: f(ManyWellEval(t)); return;
    case TargetKind::IsoGmm: f(IsoGmmEval(t)); return;
  }
}

// log q and its score on a block, q = N(mean, diag(exp(logScale))^2).
inline void DiagGaussian::eval(const float* __restrict z, float* __restrict logp,
                               float* __restrict score) const {
  float quad[W] = {};
  for (int j = 0; j < dim; j++) {
    const float inv = inv_scale[j];
    const float m = mean[j];
    const float* zj = z + j * W;
    float* sj = score + j * W;
    LANES {
      const float u = (zj[r] - m) * inv;
      quad[r] += u * u;
      sj[r] = -u * inv;
    }
  }
  LANES logp[r] = -(0.5f * quad[r] + log_norm);
}

}  // namespace anneal

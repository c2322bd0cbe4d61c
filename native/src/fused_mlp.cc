// The posterior of a latent-variable model with a tanh-MLP Bernoulli decoder,
//   log p(x, z) = sum_j [x_j l_j - softplus(l_j)] - |z|^2 / 2 - n0 log(2 pi) / 2,
//   l = f(z): h_0 = z, h_i = tanh(h_{i-1} W_i + b_i) (i = 1..L), l = h_L Wo + bo,
// its score s = d log p / dz (one forward pass and the backward sweep u_L = (x - sigmoid(l)) Wo^T,
// g_i = u_i (1 - h_i^2), u_{i-1} = g_i W_i^T, s = u_0 - z), and the vector-Jacobian product of
// both, which is what training through a chain of such scores needs (a second-order sweep). Every
// product is one GEMM over all rows; the element-wise work runs on the output while it is in
// cache. In TF.js ops the same evaluation and its gradient take about two hundred kernels.
//
// MlpBernoulli      ints [B, L, n0, n1, ..., nL, D]
//                   arrays [z (B n0), W1, b1, ..., WL, bL, Wo, bo, x (B D),
//                           logp (B), score (B n0), saved (B S)]
// MlpBernoulliGrad  ints as above
//                   arrays [the inputs, saved, dlogp (B), dscore (B n0), dz, dW1, db1, ..., dWo, dbo]
// `saved` holds what the gradient needs of the forward pass, S = 2 (n1 + ... + nL) + D values per
// row: h_1, ..., h_L, l, u_1, ..., u_L (each a [B, width] block), so the gradient does not redo it.
#include <cmath>
#include <vector>

#include "gemm.h"
#include "fused.h"
#include "vecmath.h"

namespace anneal {
namespace {

struct Net {
  int64_t rows = 0, layers = 0;
  std::vector<int64_t> width;  // n0, ..., nL, D
  std::vector<const float*> w, b;  // index 1..L+1 (L+1: the head); 0 unused
  const float* z = nullptr;
  const float* x = nullptr;

  int64_t n(int64_t i) const { return width[i]; }
  int64_t out() const { return width[layers + 1]; }
};

bool parse(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays, bool grad, Net* net,
           std::string* error) {
  if (num_ints < 4 || ints[0] < 0 || ints[1] < 0 || num_ints != static_cast<size_t>(ints[1]) + 4) {
    *error = "fused op: bad MLP sizes";
    return false;
  }
  net->rows = ints[0];
  net->layers = ints[1];
  const int64_t layers = net->layers;
  for (int64_t i = 0; i < layers + 2; i++) {
    if (ints[2 + i] < 1) {
      *error = "fused op: MLP widths must be positive";
      return false;
    }
    net->width.push_back(ints[2 + i]);
  }
  const size_t inputs = 2 * (layers + 1) + 2;
  const size_t params = 2 * (layers + 1);
  const size_t want = grad ? inputs + 3 + 1 + params : inputs + 3;
  if (num_arrays != want) {
    *error = "fused op: wrong number of arguments for the MLP posterior";
    return false;
  }
  const size_t rows = net->rows;
  std::vector<size_t> lengths{rows * net->n(0)};
  for (int64_t i = 1; i <= layers + 1; i++) {
    lengths.push_back(net->n(i - 1) * net->n(i));
    lengths.push_back(net->n(i));
  }
  lengths.push_back(rows * net->out());
  int64_t saved = net->out();
  for (int64_t i = 1; i <= layers; i++) saved += 2 * net->n(i);
  if (grad) lengths.push_back(rows * saved);
  lengths.push_back(rows);
  lengths.push_back(rows * net->n(0));
  if (!grad) lengths.push_back(rows * saved);
  if (grad) {
    for (size_t i = 0; i < params + 1; i++) lengths.push_back(lengths[i]);
  }
  for (size_t i = 0; i < want; i++) {
    if (a[i].length != lengths[i]) {
      *error = "fused op: MLP posterior array " + std::to_string(i) + " has " +
               std::to_string(a[i].length) + " elements, expected " + std::to_string(lengths[i]);
      return false;
    }
  }
  net->z = a[0].data;
  net->w.assign(layers + 2, nullptr);
  net->b.assign(layers + 2, nullptr);
  for (int64_t i = 1; i <= layers + 1; i++) {
    net->w[i] = a[2 * i - 1].data;
    net->b[i] = a[2 * i].data;
  }
  net->x = a[2 * (layers + 1) + 1].data;
  return true;
}

// Reused between calls: the activations of a 1600-row batch are megabytes, and a fresh
// allocation of that size costs page faults every call.
std::vector<float>& scratch(int slot, size_t size) {
  static thread_local std::vector<std::vector<float>> buffers;
  if (buffers.size() <= static_cast<size_t>(slot)) buffers.resize(slot + 1);
  std::vector<float>& v = buffers[slot];
  if (v.size() < size) v.resize(size);
  return v;
}

// C[m, n] (+)= op(A) op(B); `accumulate` adds into C through a temporary.
void product(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
             float* c, bool accumulate, int slot) {
  const int lda = static_cast<int>(ta ? m : k), ldb = static_cast<int>(tb ? k : n);
  if (!accumulate) {
    sgemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a, lda, b, ldb, c,
          static_cast<int>(n));
    return;
  }
  float* t = scratch(slot, m * n).data();
  sgemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a, lda, b, ldb, t,
        static_cast<int>(n));
  for (int64_t i = 0; i < m * n; i++) c[i] += t[i];
}

void column_sum(const float* x, int64_t rows, int64_t cols, float* out) {
  std::fill(out, out + cols, 0.0f);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = x + r * cols;
    for (int64_t j = 0; j < cols; j++) out[j] += row[j];
  }
}

// The forward pass and the score's backward sweep: h[i] and u[i] (i = 1..L) and the logits l
// live in the saved array, d = x - sigmoid(l) and g[i] = u[i] (1 - h[i]^2) in scratch.
struct Sweep {
  std::vector<float*> h, u, g;
  float* l = nullptr;
  float* d = nullptr;

  // Points h, l and u into `saved` (layout above).
  void place(const Net& net, float* saved) {
    const int64_t rows = net.rows, layers = net.layers;
    h.assign(layers + 1, nullptr);
    u.assign(layers + 1, nullptr);
    g.assign(layers + 1, nullptr);
    h[0] = const_cast<float*>(net.z);
    for (int64_t i = 1; i <= layers; i++) {
      h[i] = saved;
      saved += rows * net.n(i);
    }
    l = saved;
    saved += rows * net.out();
    for (int64_t i = 1; i <= layers; i++) {
      u[i] = saved;
      saved += rows * net.n(i);
    }
  }
};

void forward(const Net& net, Sweep* s, float* logp, float* score) {
  const int64_t rows = net.rows, layers = net.layers, out = net.out(), n0 = net.n(0);
  int slot = 0;
  for (int64_t i = 1; i <= layers; i++) {
    float* h = s->h[i];
    product(false, false, rows, net.n(i), net.n(i - 1), s->h[i - 1], net.w[i], h, false, 0);
    const float* bias = net.b[i];
    for (int64_t r = 0; r < rows; r++) {
      float* row = h + r * net.n(i);
      for (int64_t j = 0; j < net.n(i); j++) row[j] = vtanh(row[j] + bias[j]);
    }
  }
  s->d = scratch(slot++, rows * out).data();
  product(false, false, rows, out, net.n(layers), s->h[layers], net.w[layers + 1], s->l, false, 0);
  const float* bo = net.b[layers + 1];
  const float half_log_2pi_n0 = 0.5f * static_cast<float>(n0) * std::log(2.0f * static_cast<float>(M_PI));
  for (int64_t r = 0; r < rows; r++) {
    float* l = s->l + r * out;
    float* d = s->d + r * out;
    const float* x = net.x + r * out;
    float lik = 0.0f;
#pragma omp simd reduction(+ : lik)
    for (int64_t j = 0; j < out; j++) {
      const float v = l[j] + bo[j];
      l[j] = v;
      d[j] = x[j] - vsigmoid(v);
      lik += x[j] * v - vsoftplus(v);
    }
    const float* z = net.z + r * n0;
    float zz = 0.0f;
#pragma omp simd reduction(+ : zz)
    for (int64_t j = 0; j < n0; j++) zz += z[j] * z[j];
    if (logp) logp[r] = lik - 0.5f * zz - half_log_2pi_n0;
  }
  // u_L = d Wo^T, then down through the hidden layers; u_0 is the likelihood's score.
  const float* upper = s->d;
  int64_t upperWidth = out;
  for (int64_t i = layers; i >= 1; i--) {
    float* u = s->u[i];
    float* g = scratch(slot++, rows * net.n(i)).data();
    product(false, true, rows, net.n(i), upperWidth, upper, net.w[i + 1], u, false, 0);
    const float* h = s->h[i];
    for (int64_t k = 0; k < rows * net.n(i); k++) g[k] = u[k] * (1.0f - h[k] * h[k]);
    s->g[i] = g;
    upper = g;
    upperWidth = net.n(i);
  }
  if (score) {
    product(false, true, rows, n0, upperWidth, upper, net.w[1], score, false, 0);
    for (int64_t k = 0; k < rows * n0; k++) score[k] -= net.z[k];
  }
}

// Slots 0..: forward's buffers; the VJP's own start above them.
constexpr int kVjpSlot = 64;

}  // namespace

bool mlp_bernoulli(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                   std::string* error) {
  Net net;
  if (!parse(ints, num_ints, a, num_arrays, false, &net, error)) return false;
  const size_t outputs = 2 * (net.layers + 1) + 2;
  Sweep s;
  s.place(net, a[outputs + 2].data);
  forward(net, &s, a[outputs].data, a[outputs + 1].data);
  return true;
}

bool mlp_bernoulli_grad(const int32_t* ints, size_t num_ints, Span* a, size_t num_arrays,
                        std::string* error) {
  Net net;
  if (!parse(ints, num_ints, a, num_arrays, true, &net, error)) return false;
  const int64_t rows = net.rows, layers = net.layers, out = net.out(), n0 = net.n(0);
  const size_t inputs = 2 * (layers + 1) + 2;
  const float* dlogp = a[inputs + 1].data;
  const float* dscore = a[inputs + 2].data;
  float* dz = a[inputs + 3].data;
  auto dw = [&](int64_t i) { return a[inputs + 3 + 2 * i - 1].data; };
  auto db = [&](int64_t i) { return a[inputs + 3 + 2 * i].data; };
  // The forward pass's h, l and u come saved; d and g are cheap element-wise recomputations.
  Sweep s;
  s.place(net, a[inputs].data);
  s.d = scratch(0, rows * out).data();
  for (int64_t r = 0; r < rows; r++) {
    const float* l = s.l + r * out;
    const float* x = net.x + r * out;
    float* d = s.d + r * out;
    for (int64_t j = 0; j < out; j++) d[j] = x[j] - vsigmoid(l[j]);
  }
  for (int64_t i = 1; i <= layers; i++) {
    const int64_t size = rows * net.n(i);
    float* g = scratch(i, size).data();
    const float *u = s.u[i], *h = s.h[i];
    for (int64_t k = 0; k < size; k++) g[k] = u[k] * (1.0f - h[k] * h[k]);
    s.g[i] = g;
  }
  int slot = kVjpSlot + 1;  // kVjpSlot itself is product()'s temporary
  // Direct terms: score = u_0 - z, logp's prior -|z|^2 / 2.
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t j = 0; j < n0; j++) {
      const int64_t k = r * n0 + j;
      dz[k] = -dscore[k] - dlogp[r] * net.z[k];
    }
  }
  // Back through the score's sweep, from u_0 up: ubar_{i-1} -> gbar_i -> ubar_i and hbar_i.
  std::vector<float*> hbar(layers + 1, nullptr);
  const float* ubar = dscore;
  for (int64_t i = 1; i <= layers; i++) {
    const int64_t w = net.n(i);
    float* gbar = scratch(slot++, rows * w).data();
    product(false, false, rows, w, net.n(i - 1), ubar, net.w[i], gbar, false, kVjpSlot);
    product(true, false, net.n(i - 1), w, rows, ubar, s.g[i], dw(i), false, kVjpSlot);
    float* hb = scratch(slot++, rows * w).data();
    const float *h = s.h[i], *u = s.u[i];
    for (int64_t k = 0; k < rows * w; k++) {
      hb[k] = -2.0f * h[k] * u[k] * gbar[k];
      gbar[k] *= 1.0f - h[k] * h[k];  // now ubar_i
    }
    hbar[i] = hb;
    ubar = gbar;
  }
  // u_L = d Wo^T: dbar = ubar_L Wo, dWo = ubar_L^T d; then d = x - sigmoid(l) and logp's
  // likelihood term (d/dl = d) give lbar.
  const int64_t top = net.n(layers);
  float* lbar = scratch(slot++, rows * out).data();
  product(false, false, rows, out, top, ubar, net.w[layers + 1], lbar, false, kVjpSlot);
  product(true, false, top, out, rows, ubar, s.d, dw(layers + 1), false, kVjpSlot);
  for (int64_t r = 0; r < rows; r++) {
    const float* l = s.l + r * out;
    const float* d = s.d + r * out;
    float* lb = lbar + r * out;
    const float c = dlogp[r];
    for (int64_t j = 0; j < out; j++) {
      const float p = vsigmoid(l[j]);
      lb[j] = c * d[j] - lb[j] * p * (1.0f - p);
    }
  }
  // Back through the forward pass: l = h_L Wo + bo, h_i = tanh(h_{i-1} W_i + b_i).
  column_sum(lbar, rows, out, db(layers + 1));
  product(true, false, top, out, rows, s.h[layers], lbar, dw(layers + 1), true, kVjpSlot);
  product(false, true, rows, top, out, lbar, net.w[layers + 1], hbar[layers], true, kVjpSlot);
  for (int64_t i = layers; i >= 1; i--) {
    const int64_t w = net.n(i);
    float* abar = hbar[i];
    const float* h = s.h[i];
    for (int64_t k = 0; k < rows * w; k++) abar[k] *= 1.0f - h[k] * h[k];
    column_sum(abar, rows, w, db(i));
    product(true, false, net.n(i - 1), w, rows, s.h[i - 1], abar, dw(i), true, kVjpSlot);
    float* below = i > 1 ? hbar[i - 1] : dz;
    product(false, true, rows, net.n(i - 1), w, abar, net.w[i], below, true, kVjpSlot);
  }
  return true;
}

}  // namespace anneal

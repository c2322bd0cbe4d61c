#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "op_ids.h"

namespace anneal {

struct Span {
  float* data;
  size_t length;
};


// The differentiable UHA move (fused_move.cc).
bool uha_move(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
              std::string* error);
bool uha_move_grad(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                   std::string* error);

// The ULA transition around any target's evaluation (fused_ula.cc).
bool ula_propose(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                 std::string* error);
bool ula_propose_grad(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                      std::string* error);
bool ula_weight(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                std::string* error);
bool ula_weight_grad(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                     std::string* error);

// The UHA transition around any target's evaluations (fused_uha.cc).
bool uha_start(const int32_t*, size_t, Span*, size_t, std::string*);
bool uha_start_grad(const int32_t*, size_t, Span*, size_t, std::string*);
bool uha_kick(const int32_t*, size_t, Span*, size_t, std::string*);
bool uha_kick_grad(const int32_t*, size_t, Span*, size_t, std::string*);
bool uha_finish(const int32_t*, size_t, Span*, size_t, std::string*);
bool uha_finish_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// Dense layers (dense.cc).
// HMC's arithmetic around a target evaluated elsewhere (fused_hmc.cc).
bool hmc_kick_drift(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                    Span* arrays, size_t num_arrays, std::string* error);
bool hmc_accept(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                Span* arrays, size_t num_arrays, std::string* error);
// MALA's arithmetic around a target evaluated elsewhere (fused_mala.cc).
bool mala_propose(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                  Span* arrays, size_t num_arrays, std::string* error);
bool mala_accept(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                 Span* arrays, size_t num_arrays, std::string* error);
bool dense_forward(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                   std::string* error);
bool tanh_backward(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                   std::string* error);
bool column_sums(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                 std::string* error);

// The posterior of a tanh-MLP Bernoulli decoder: log density, score and their VJP (fused_mlp.cc).
bool mlp_bernoulli(const int32_t*, size_t, Span*, size_t, std::string*);
bool mlp_bernoulli_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// A diagonal Gaussian per row: log density, score and their VJP (fused_row_gaussian.cc).
bool row_gaussian(const int32_t*, size_t, Span*, size_t, std::string*);
bool row_gaussian_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// Rows of several arrays by one index, and the scatter-add gradient (fused_gather.cc).
bool gather_rows(const int32_t*, size_t, Span*, size_t, std::string*);
bool gather_rows_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// Ancestor indices of index-based resampling (fused_ancestors.cc).
bool ancestors(const int32_t*, size_t, Span*, size_t, std::string*);

// An AIS step's log-weight update and its VJP (fused_ais_update.cc).
bool ais_update(const int32_t*, size_t, Span*, size_t, std::string*);
bool ais_update_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// A user's log density and its gradient as a compiled program of row-wise instructions
// (density_program.cc).
bool density_program(const int32_t*, size_t, Span*, size_t, std::string*);

// The measured single-precision FMA throughput of one thread and of all (fma_peak.cc).
bool fma_peak(const int32_t*, size_t, Span*, size_t, std::string*);

// One strided block copied between arrays: slice, split, concat, tile (copy_block.cc).
bool copy_block(const int32_t*, size_t, Span*, size_t, std::string*);

// fused_target.cc: a closed-form target's log density and score, and their vector-Jacobian product.
bool target_eval(const int32_t*, size_t, Span*, size_t, std::string*);
bool target_eval_grad(const int32_t*, size_t, Span*, size_t, std::string*);

// Adam's update of one parameter (fused_adam.cc).
bool adam_update(const int32_t* ints, size_t num_ints, const double* scalars, size_t num_scalars,
                 Span* arrays, size_t num_arrays, std::string* error);

bool run_fused(int op, const int32_t* ints, size_t num_ints, const double* scalars,
               size_t num_scalars, Span* arrays, size_t num_arrays, std::string* error);

}  // namespace anneal

#pragma once
// Every id that crosses between the TypeScript side and the addon, in one place: the fused ops,
// the targets the addon evaluates itself, the kernels of the whole-chain loop and the length of a
// step's readings. The TypeScript tables (src/engine/nativeIds.ts, src/targets/nativeIds.ts,
// src/annealing/kernels/nativeIds.ts, STEP_READING_NAMES in src/engine/fused.ts) are checked
// against this file name by name by test/native-ids.test.ts.
#include <cstddef>

namespace anneal {

// Fused annealing operations, each one pass over the particles (rows of an [n, d] array) with
// the target and the initial distribution evaluated in place. `ints`, `scalars` and `arrays`
// follow the layout of the op (see fused.cc and src/engine/fused.ts); every array length is
// checked first. Returns false with `error` set when the layout does not match.
enum class FusedOp {
  Evaluate = 0,
  UlaStep = 1,
  HmcStep = 2,
  UhaStep = 3,
  WeightStats = 4,
  AisChain = 5,
  UhaMove = 6,
  UhaMoveGrad = 7,
  Adam = 8,
  Dense = 9,
  TanhBackward = 10,
  ColumnSums = 11,
  UlaPropose = 12,
  UlaProposeGrad = 13,
  UlaWeight = 14,
  UlaWeightGrad = 15,
  UhaStart = 16,
  UhaStartGrad = 17,
  UhaKick = 18,
  UhaKickGrad = 19,
  UhaFinish = 20,
  UhaFinishGrad = 21,
  MlpBernoulli = 22,
  MlpBernoulliGrad = 23,
  RowGaussian = 24,
  RowGaussianGrad = 25,
  GatherRows = 26,
  GatherRowsGrad = 27,
  Ancestors = 28,
  AisUpdate = 29,
  AisUpdateGrad = 30,
  MalaStep = 31,
  HmcKickDrift = 32,
  HmcAccept = 33,
  MalaPropose = 34,
  MalaAccept = 35,
  DensityProgram = 36,
  FmaPeak = 37,
  CopyBlock = 38,
  TargetEval = 39,
  TargetEvalGrad = 40,
};
constexpr int kFusedOps = 41;

// Targets with a closed-form native evaluation (targets.h documents each parameter layout).
enum class TargetKind { Funnel = 0, ManyWell = 1, IsoGmm = 2 };
constexpr int kTargetKinds = 3;

// Kernels of the whole-chain loop (FusedOp::AisChain).
enum class ChainKernel { Ula = 0, Hmc = 1, Uha = 2, Mala = 3 };
constexpr int kChainKernels = 4;

// Numbers each step of a chain records: ESS fraction, running log Z, acceptance, non-finite
// weights, resampled fraction, diverged proposals.
constexpr size_t kReadings = 6;

}  // namespace anneal

// A user's log density and its gradient, compiled (src/engine/densityProgram.ts) from the TF.js
// ops it was traced through into one program of row-wise instructions, and run here in tiles of
// particles. Particles do not interact, so the whole forward and backward pass of a tile of rows
// runs before the next tile starts: every intermediate ([rows, width] each) stays in the core's
// cache, where op by op each one would be a full [N, width] array written to and read back from
// memory, and there is one call instead of a hundred kernel dispatches.
//
// ints:   [n, d, registers, constants, instructions, z register, value register, grad register,
//          scratch width, widths (registers), offsets (registers), lengths (constants),
//          instructions (kInstr ints each: op, out, a, b, p0, p1, p2, p3)]
// arrays: [constants..., z (n d), value (n), grad (n d)]
// An operand >= 0 is a register, < 0 the constant -1 - operand. Register r of a tile of t rows is
// [t, width r] at scratch + offset r * t; registers whose lives do not overlap share offsets.
#include <cmath>

#include "fused.h"
#include "fused_common.h"
#include "gemm.h"
#include "vecmath.h"

namespace anneal {
namespace {

constexpr int kInstr = 8;
constexpr size_t kTileFloats = size_t{1} << 16;  // per thread: 256 KB of registers, in L2
constexpr int kMaxTileRows = 64;

// Instruction codes; src/engine/densityProgram.ts (DENSITY_OPS) holds the same table.
enum Op : int32_t {
  // out = a (op) b, each operand [t, w] or [t, 1] (a register) or [w] or [1] (a constant).
  Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5,
  // 1 where the comparison holds, else 0.
  Ge = 6, Gt = 7, Le = 8, Lt = 9, Eq = 10,
  // out = f(a), a register of the same width.
  Neg = 20, Square = 21, Exp = 22, Log = 23, Log1p = 24, Softplus = 25, Sigmoid = 26, Tanh = 27,
  Sqrt = 28, Rsqrt = 29, Abs = 30, Recip = 31, Relu = 32, Sign = 33, Sin = 34, Cos = 35,
  Erf = 36,
  // out [t, 1] = reduction of a [t, w] over its row.
  RowSum = 40, RowMax = 41, RowMin = 42,
  // out = columns [p0, p0 + out width) of a; out = a placed at column p0 of zeros; out = a [t, 1]
  // repeated across the out width.
  Slice = 50, Pad = 51, Repeat = 52,
  // out[:, j] = a[:, c[j]], the constant b holding column indices c (one per output column);
  // out = zeros of the out width with out[:, c[j]] += a[:, j] (the gather's gradient).
  Gather = 53, ScatterAdd = 54,
  // out [t, p1] = a [t, p0] M, M the constant b stored [p0, p1] (p2 = 0) or [p1, p0] (p2 = 1).
  MatMul = 60,
};

template <int O>
inline float bin(float a, float b) {
  if constexpr (O == Add) return a + b;
  if constexpr (O == Sub) return a - b;
  if constexpr (O == Mul) return a * b;
  if constexpr (O == Div) return a / b;
  if constexpr (O == Max) return a > b || a != a ? a : b;
  if constexpr (O == Min) return a < b || a != a ? a : b;
  if constexpr (O == Ge) return a >= b ? 1.0f : 0.0f;
  if constexpr (O == Gt) return a > b ? 1.0f : 0.0f;
  if constexpr (O == Le) return a <= b ? 1.0f : 0.0f;
  if constexpr (O == Lt) return a < b ? 1.0f : 0.0f;
  if constexpr (O == Eq) return a == b ? 1.0f : 0.0f;
}

template <int O>
inline float un(float x) {
  if constexpr (O == Neg) return -x;
  if constexpr (O == Square) return x * x;
  if constexpr (O == Exp) return vexp(x);
  if constexpr (O == Log) return vlog(x);
  if constexpr (O == Log1p) {
    // log(1 + x) with the rounding of 1 + x corrected (exact where 1 + x rounds to 1).
    const float w = 1.0f + x, dw = w - 1.0f;
    return dw == 0.0f ? x : vlog(w) * (x / dw);
  }
  if constexpr (O == Softplus) return vsoftplus(x);
  if constexpr (O == Sigmoid) return vsigmoid(x);
  if constexpr (O == Tanh) return vtanh(x);
  if constexpr (O == Sqrt) return std::sqrt(x);
  if constexpr (O == Rsqrt) return 1.0f / std::sqrt(x);
  if constexpr (O == Abs) return std::fabs(x);
  if constexpr (O == Recip) return 1.0f / x;
  if constexpr (O == Relu) return x > 0.0f ? x : (x != x ? x : 0.0f);
  if constexpr (O == Sign) return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : (x != x ? x : 0.0f));
  if constexpr (O == Sin) return std::sin(x);
  if constexpr (O == Cos) return std::cos(x);
  if constexpr (O == Erf) return std::erf(x);
}

struct Program {
  size_t n = 0, d = 0;
  int regs = 0, consts = 0, instrs = 0, z = 0, value = 0, grad = 0;
  size_t scratch = 0;
  const int32_t* width = nullptr;
  const int32_t* offset = nullptr;
  const int32_t* code = nullptr;
  const Span* constant = nullptr;
};

// An operand's row i in a tile: a pointer and whether it runs along the row (else one value).
struct Operand {
  const float* p;
  size_t row_stride;  // 0 for a constant
  bool vec;
};

struct Tile {
  const Program& prog;
  float* base;
  size_t t;  // rows in this tile
  float* reg(int r) const { return base + static_cast<size_t>(prog.offset[r]) * t; }
  size_t w(int r) const { return static_cast<size_t>(prog.width[r]); }
  Operand operand(int x) const {
    if (x >= 0) return {reg(x), w(x), w(x) != 1};
    const Span& c = prog.constant[-1 - x];
    return {c.data, 0, c.length != 1};
  }
};

template <int O, bool AV, bool BV>
inline void bin_row(const float* a, const float* b, float* o, size_t w) {
  const float as = AV ? 0.0f : a[0], bs = BV ? 0.0f : b[0];
  for (size_t j = 0; j < w; j++) o[j] = bin<O>(AV ? a[j] : as, BV ? b[j] : bs);
}

template <int O>
void binary(const Tile& tile, const int32_t* in) {
  float* out = tile.reg(in[1]);
  const size_t w = tile.w(in[1]);
  const Operand a = tile.operand(in[2]), b = tile.operand(in[3]);
  for (size_t i = 0; i < tile.t; i++) {
    const float* ap = a.p + i * a.row_stride;
    const float* bp = b.p + i * b.row_stride;
    float* o = out + i * w;
    if (a.vec && b.vec) bin_row<O, true, true>(ap, bp, o, w);
    else if (a.vec) bin_row<O, true, false>(ap, bp, o, w);
    else if (b.vec) bin_row<O, false, true>(ap, bp, o, w);
    else bin_row<O, false, false>(ap, bp, o, w);
  }
}

template <int O>
void unary(const Tile& tile, const int32_t* in) {
  float* out = tile.reg(in[1]);
  const float* a = tile.reg(in[2]);
  const size_t count = tile.t * tile.w(in[1]);
  for (size_t i = 0; i < count; i++) out[i] = un<O>(a[i]);
}

// Sixteen running sums per row, so the loop vectorizes (the order is fixed, so results repeat).
inline float row_sum(const float* x, size_t w) {
  float acc[16] = {};
  size_t j = 0;
  for (; j + 16 <= w; j += 16)
    for (int l = 0; l < 16; l++) acc[l] += x[j + l];
  for (size_t l = 0; j < w; j++, l++) acc[l] += x[j];
  float s = 0.0f;
  for (int l = 0; l < 16; l++) s += acc[l];
  return s;
}

template <int O>
void row_reduce(const Tile& tile, const int32_t* in) {
  float* out = tile.reg(in[1]);
  const float* a = tile.reg(in[2]);
  const size_t w = tile.w(in[2]);
  for (size_t i = 0; i < tile.t; i++) {
    const float* x = a + i * w;
    if constexpr (O == RowSum) {
      out[i] = row_sum(x, w);
    } else {
      float m = x[0];
      for (size_t j = 1; j < w; j++) m = bin<O == RowMax ? Max : Min>(m, x[j]);
      out[i] = m;
    }
  }
}

void run_instruction(const Tile& tile, const int32_t* in) {
  switch (in[0]) {
    case Add: return binary<Add>(tile, in);
    case Sub: return binary<Sub>(tile, in);
    case Mul: return binary<Mul>(tile, in);
    case Div: return binary<Div>(tile, in);
    case Max: return binary<Max>(tile, in);
    case Min: return binary<Min>(tile, in);
    case Ge: return binary<Ge>(tile, in);
    case Gt: return binary<Gt>(tile, in);
    case Le: return binary<Le>(tile, in);
    case Lt: return binary<Lt>(tile, in);
    case Eq: return binary<Eq>(tile, in);
    case Neg: return unary<Neg>(tile, in);
    case Square: return unary<Square>(tile, in);
    case Exp: return unary<Exp>(tile, in);
    case Log: return unary<Log>(tile, in);
    case Log1p: return unary<Log1p>(tile, in);
    case Softplus: return unary<Softplus>(tile, in);
    case Sigmoid: return unary<Sigmoid>(tile, in);
    case Tanh: return unary<Tanh>(tile, in);
    case Sqrt: return unary<Sqrt>(tile, in);
    case Rsqrt: return unary<Rsqrt>(tile, in);
    case Abs: return unary<Abs>(tile, in);
    case Recip: return unary<Recip>(tile, in);
    case Relu: return unary<Relu>(tile, in);
    case Sign: return unary<Sign>(tile, in);
    case Sin: return unary<Sin>(tile, in);
    case Cos: return unary<Cos>(tile, in);
    case Erf: return unary<Erf>(tile, in);
    case RowSum: return row_reduce<RowSum>(tile, in);
    case RowMax: return row_reduce<RowMax>(tile, in);
    case RowMin: return row_reduce<RowMin>(tile, in);
    case Slice:
    case Pad:
    case Repeat: {
      float* out = tile.reg(in[1]);
      const float* a = tile.reg(in[2]);
      const size_t w = tile.w(in[1]), wa = tile.w(in[2]), c0 = static_cast<size_t>(in[4]);
      for (size_t i = 0; i < tile.t; i++) {
        float* o = out + i * w;
        const float* x = a + i * wa;
        if (in[0] == Slice) {
          for (size_t j = 0; j < w; j++) o[j] = x[c0 + j];
        } else if (in[0] == Pad) {
          for (size_t j = 0; j < w; j++) o[j] = 0.0f;
          for (size_t j = 0; j < wa; j++) o[c0 + j] = x[j];
        } else {
          for (size_t j = 0; j < w; j++) o[j] = x[0];
        }
      }
      return;
    }
    case Gather:
    case ScatterAdd: {
      float* out = tile.reg(in[1]);
      const float* a = tile.reg(in[2]);
      const Span& index = tile.prog.constant[-1 - in[3]];
      const size_t w = tile.w(in[1]), wa = tile.w(in[2]);
      for (size_t i = 0; i < tile.t; i++) {
        float* o = out + i * w;
        const float* x = a + i * wa;
        if (in[0] == Gather) {
          for (size_t j = 0; j < w; j++) o[j] = x[static_cast<size_t>(index.data[j])];
        } else {
          for (size_t j = 0; j < w; j++) o[j] = 0.0f;
          for (size_t j = 0; j < wa; j++) o[static_cast<size_t>(index.data[j])] += x[j];
        }
      }
      return;
    }
    case MatMul: {
      const int m = in[4], nn = in[5];
      const float* mat = tile.prog.constant[-1 - in[3]].data;
      const bool trans = in[6] == 1;
      sgemm(false, trans, static_cast<int>(tile.t), nn, m, tile.reg(in[2]), m, mat, trans ? m : nn,
            tile.reg(in[1]), nn);
      return;
    }
  }
}

bool fail(std::string* error, const std::string& why) {
  *error = "density program: " + why;
  return false;
}

// Every index and width checked once, so that running cannot read or write out of bounds.
bool check(const Program& p, std::string* error) {
  auto is_reg = [&](int x) { return x >= 0 && x < p.regs; };
  auto is_const = [&](int x) { return x < 0 && -1 - x < p.consts; };
  auto width_of = [&](int x) -> size_t {
    return x >= 0 ? static_cast<size_t>(p.width[x]) : p.constant[-1 - x].length;
  };
  for (int r = 0; r < p.regs; r++) {
    if (p.width[r] < 1 || p.offset[r] < 0 ||
        static_cast<size_t>(p.offset[r]) + static_cast<size_t>(p.width[r]) > p.scratch)
      return fail(error, "a register lies outside the scratch space");
  }
  if (!is_reg(p.z) || !is_reg(p.value) || !is_reg(p.grad) || width_of(p.z) != p.d ||
      width_of(p.value) != 1 || width_of(p.grad) != p.d)
    return fail(error, "the input or output registers do not match n x d");
  for (int i = 0; i < p.instrs; i++) {
    const int32_t* in = p.code + static_cast<size_t>(i) * kInstr;
    const int op = in[0];
    if (!is_reg(in[1])) return fail(error, "an instruction writes no register");
    const size_t w = width_of(in[1]);
    if (op <= Eq) {
      for (int k = 2; k <= 3; k++) {
        if (!is_reg(in[k]) && !is_const(in[k])) return fail(error, "an operand is out of range");
        const size_t wk = width_of(in[k]);
        if (wk != w && wk != 1) return fail(error, "an operand's width does not match");
      }
    } else if (op >= Neg && op <= Erf) {
      if (!is_reg(in[2]) || width_of(in[2]) != w) return fail(error, "a unary operand differs");
    } else if (op >= RowSum && op <= RowMin) {
      if (!is_reg(in[2]) || w != 1) return fail(error, "a reduction's shapes differ");
    } else if (op == Slice || op == Pad) {
      if (!is_reg(in[2]) || in[4] < 0) return fail(error, "a slice's operand is out of range");
      const size_t inner = op == Slice ? w : width_of(in[2]);
      const size_t outer = op == Slice ? width_of(in[2]) : w;
      if (static_cast<size_t>(in[4]) + inner > outer) return fail(error, "a slice is out of range");
    } else if (op == Repeat) {
      if (!is_reg(in[2]) || width_of(in[2]) != 1) return fail(error, "a repeat's operand differs");
    } else if (op == Gather || op == ScatterAdd) {
      // The indices: one per column of the narrow side, each a whole number within the wide side.
      if (!is_reg(in[2]) || !is_const(in[3])) return fail(error, "a gather's operands differ");
      const size_t narrow = op == Gather ? w : width_of(in[2]);
      const size_t wide = op == Gather ? width_of(in[2]) : w;
      const Span& index = p.constant[-1 - in[3]];
      if (index.length != narrow) return fail(error, "a gather's indices do not match its width");
      for (size_t j = 0; j < narrow; j++) {
        const float c = index.data[j];
        if (!(c >= 0.0f) || c != std::floor(c) || static_cast<size_t>(c) >= wide)
          return fail(error, "a gather index is out of range");
      }
    } else if (op == MatMul) {
      if (!is_reg(in[2]) || !is_const(in[3]) || in[4] < 1 || in[5] < 1 ||
          width_of(in[2]) != static_cast<size_t>(in[4]) || w != static_cast<size_t>(in[5]) ||
          width_of(in[3]) != static_cast<size_t>(in[4]) * static_cast<size_t>(in[5]) ||
          (in[6] != 0 && in[6] != 1))
        return fail(error, "a matrix product's shapes differ");
    } else {
      return fail(error, "unknown instruction " + std::to_string(op));
    }
  }
  return true;
}

}  // namespace

bool density_program(const int32_t* ints, size_t num_ints, Span* arrays, size_t num_arrays,
                     std::string* error) {
  if (num_ints < 9) return fail(error, "too few integers");
  Program p;
  p.n = static_cast<size_t>(ints[0]);
  p.d = static_cast<size_t>(ints[1]);
  p.regs = ints[2];
  p.consts = ints[3];
  p.instrs = ints[4];
  p.z = ints[5];
  p.value = ints[6];
  p.grad = ints[7];
  p.scratch = static_cast<size_t>(ints[8]);
  if (ints[0] < 0 || ints[1] < 1 || p.regs < 1 || p.consts < 0 || p.instrs < 0 || ints[8] < 1)
    return fail(error, "bad header");
  const size_t expected = 9 + 2 * static_cast<size_t>(p.regs) + static_cast<size_t>(p.consts) +
                          kInstr * static_cast<size_t>(p.instrs);
  if (num_ints != expected) return fail(error, "the integers do not match the header");
  if (num_arrays != static_cast<size_t>(p.consts) + 3) return fail(error, "wrong number of arrays");
  p.width = ints + 9;
  p.offset = p.width + p.regs;
  const int32_t* lengths = p.offset + p.regs;
  p.code = lengths + p.consts;
  p.constant = arrays;
  for (int c = 0; c < p.consts; c++)
    if (lengths[c] < 1 || arrays[c].length != static_cast<size_t>(lengths[c]))
      return fail(error, "a constant's length differs");
  const Span& z = arrays[p.consts];
  const Span& value = arrays[p.consts + 1];
  const Span& grad = arrays[p.consts + 2];
  if (z.length != p.n * p.d || value.length != p.n || grad.length != p.n * p.d)
    return fail(error, "z, the values or the gradient do not match n x d");
  if (!check(p, error)) return false;
  if (p.n == 0) return true;

  const size_t rows = std::max<size_t>(1, std::min<size_t>(kMaxTileRows, kTileFloats / p.scratch));
  fused::for_rows(p.n, p.scratch * 8, [&](int, size_t lo, size_t hi) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < rows * p.scratch) scratch.resize(rows * p.scratch);
    for (size_t r0 = lo; r0 < hi; r0 += rows) {
      const size_t t = std::min(rows, hi - r0);
      Tile tile{p, scratch.data(), t};
      std::copy(z.data + r0 * p.d, z.data + (r0 + t) * p.d, tile.reg(p.z));
      for (int i = 0; i < p.instrs; i++)
        run_instruction(tile, p.code + static_cast<size_t>(i) * kInstr);
      std::copy(tile.reg(p.value), tile.reg(p.value) + t, value.data + r0);
      std::copy(tile.reg(p.grad), tile.reg(p.grad) + t * p.d, grad.data + r0 * p.d);
    }
  });
  return true;
}

}  // namespace anneal

// Register-blocked microkernels: MR samples x NP panels of kPanel outputs
// (kNV vectors each). The MR * NP * kNV accumulators stay in registers; per
// input index the kernel broadcasts MR input values and loads each weight
// vector once for MR multiply-adds. Multiply then add: wasm SIMD has no FMA
// (natively the compiler may contract them).
//
// Register budget in wasm: V8 maps v128 values to 15 usable xmm registers and
// schedules a loop body's loads first, so a step needs MR broadcasts +
// NP * kNV weight vectors + the accumulators + 1 temporary <= 15:
// 4 x 8 for batches (4 + 2 + 8 + 1), 1 x (kGroup * 8) for one sample
// (1 + 6 + 6 + 1 with kGroup = 3). Measured in Node 20 (tests/bench): 4 x 8
// runs at ~21 GMAC/s with its data in L1, as fast as the same kernel
// compiled natively for SSE; 5 x 8, 6 x 8, 4 x 12 and 1 x 32 spill and run
// at half that; unrolling the input loop made V8 spill too.
#include "model/runtime/kernels/dense.h"

#include <algorithm>
#include <cstring>

#include "model/runtime/kernels/sigmoid_simd.h"

// Batch path: samples per microkernel call, as many as the vector registers
// allow (MR * kNV accumulators + kNV weights + 1 broadcast): 4 in wasm and
// with SSE (16 xmm, V8 keeps one as scratch), 6 with AVX (16 ymm, FMA needs
// no temporary), 8 with AVX-512VL (32 ymm).
#ifndef LW_GEMM_MR
#if defined(__AVX512F__) && defined(__AVX512VL__)
#define LW_GEMM_MR 8
#elif defined(__AVX__)
#define LW_GEMM_MR 6
#else
#define LW_GEMM_MR 4
#endif
#endif
// Batch path: samples packed and processed per pass over the weights
// (bounds the workspace and keeps the packed inputs in L2).
#ifndef LW_GEMM_CHUNK
#define LW_GEMM_CHUNK 64
#endif

namespace lw {
namespace kernels {
namespace {

constexpr int kNV = kPanel / kVecFloats;  // vectors per panel row
constexpr int kMR = LW_GEMM_MR;
constexpr int kChunkRows = (LW_GEMM_CHUNK + kMR - 1) / kMR * kMR;
// Vector registers the compiled code can keep values in (see LW_GEMM_MR).
#if defined(__AVX512F__) && defined(__AVX512VL__)
constexpr int kVecRegs = 32;
#elif defined(__AVX__)
constexpr int kVecRegs = 16;
#else
constexpr int kVecRegs = 15;
#endif

template <Activation A>
inline VecF activate(VecF v) {
  if (A == Activation::kRelu) return max0(v);
  if (A == Activation::kSigmoid) return sigmoid_vec(v);
  return v;
}

// y rows [0, MR) x outputs of NP adjacent panels.
// xp: inputs packed [in x MR] (xp[k * MR + m] = sample m's input k);
// w: the first panel's bias, followed by `in` rows of weights wk floats apart
// (panel p's columns at offset p * kPanel); y: first output, ys: stride
// between samples; out_left: valid outputs from the first panel on (>= 1).
// Both streams advance by pointer increments and the per-step offsets are
// constants, which wasm encodes in the load instructions.
template <int MR, int NP, Activation A>
void micro(int in, const float* xp, const float* w, size_t wk, float* y, size_t ys, int out_left) {
  VecF acc[MR][NP][kNV];
  for (int p = 0; p < NP; ++p) {
    for (int v = 0; v < kNV; ++v) {
      const VecF bias = load(w + p * kPanel + v * kVecFloats);
      for (int m = 0; m < MR; ++m) acc[m][p][v] = bias;
    }
  }
  const float* wp = w + wk;
  for (int k = 0; k < in; ++k) {
    VecF xb[MR];
    for (int m = 0; m < MR; ++m) xb[m] = splat(xp[m]);
    for (int p = 0; p < NP; ++p) {
      for (int v = 0; v < kNV; ++v) {
        const VecF wv = load(wp + p * kPanel + v * kVecFloats);
        for (int m = 0; m < MR; ++m) acc[m][p][v] += xb[m] * wv;
      }
    }
    xp += MR;
    wp += wk;
  }
  for (int p = 0; p < NP; ++p) {
    const int valid = std::min(kPanel, out_left - p * kPanel);
    for (int m = 0; m < MR; ++m) {
      float* yp = y + m * ys + p * kPanel;
      if (valid == kPanel) {
        for (int v = 0; v < kNV; ++v) store(yp + v * kVecFloats, activate<A>(acc[m][p][v]));
      } else {
        float tmp[kPanel];
        for (int v = 0; v < kNV; ++v) store(tmp + v * kVecFloats, activate<A>(acc[m][p][v]));
        std::memcpy(yp, tmp, static_cast<size_t>(valid) * sizeof(float));
      }
    }
  }
}

// Panels per call for R samples: the most (up to a group) whose
// accumulators, weight vectors, broadcasts and one temporary fit kVecRegs.
constexpr int panels_for_rows(int r) {
  int np = 1;
  while (np < kGroup && r * (np + 1) * kNV + (np + 1) * kNV + r + 1 <= kVecRegs) ++np;
  return np;
}

// micro<R, Q, A> for a runtime 1 <= q <= Q.
template <int R, int Q, Activation A>
void micro_q(int q, int in, const float* xp, const float* w, size_t wk, float* y, size_t ys,
             int out_left) {
  if (q == Q) {
    micro<R, Q, A>(in, xp, w, wk, y, ys, out_left);
  } else if constexpr (Q > 1) {
    micro_q<R, Q - 1, A>(q, in, xp, w, wk, y, ys, out_left);
  }
}

// R samples (xp packed [in x R]) x all gp panels of one group (w: the
// group's start, wk = gp * kPanel), several panels per call so that even one
// sample keeps enough independent accumulators busy.
template <int R, Activation A>
void rows_x_group(int gp, int in, const float* xp, const float* w, size_t wk, float* y,
                  size_t ys, int out_left) {
  constexpr int NP = panels_for_rows(R);
  for (int j = 0; j < gp; j += NP) {
    micro_q<R, NP, A>(std::min(NP, gp - j), in, xp, w + j * kPanel, wk, y + j * kPanel, ys,
                      out_left - j * kPanel);
  }
}

// rows_x_group<rows, A> for a runtime 1 <= rows <= R.
template <int R, Activation A>
void rows_x_group_dispatch(int rows, int gp, int in, const float* xp, const float* w, size_t wk,
                           float* y, size_t ys, int out_left) {
  if (rows == R) {
    rows_x_group<R, A>(gp, in, xp, w, wk, y, ys, out_left);
  } else if constexpr (R > 1) {
    rows_x_group_dispatch<R - 1, A>(rows, gp, in, xp, w, wk, y, ys, out_left);
  }
}

// Packs rows [0, rows) of x ([rows x in] row-major) into blocks of kMR
// samples, each [in x mr] (mr = kMR except a smaller last block), block b at
// xp + b * kMR * in.
void pack_inputs(const float* x, int rows, int in, float* xp) {
  for (int b = 0; b * kMR < rows; ++b) {
    const int mr = std::min(kMR, rows - b * kMR);
    const float* src = x + static_cast<size_t>(b) * kMR * in;
    float* dst = xp + static_cast<size_t>(b) * kMR * in;
    for (int k = 0; k < in; ++k)
      for (int m = 0; m < mr; ++m) dst[k * mr + m] = src[static_cast<size_t>(m) * in + k];
  }
}

template <Activation A>
void forward_act(const PackedDense& L, const float* x, int n, float* y, float* ws) {
  const int in = L.in;
  const size_t ys = static_cast<size_t>(L.out);
  if (n == 1) {
    // A single sample is already in the packed layout ([in x 1]).
    for (int g = 0; g < L.groups; ++g) {
      const int gp = L.group_panels(g);
      const int o0 = g * kGroup * kPanel;
      rows_x_group<1, A>(gp, in, x, L.group(g), static_cast<size_t>(gp) * kPanel, y + o0, ys,
                         L.out - o0);
    }
    return;
  }
  for (int r0 = 0; r0 < n; r0 += kChunkRows) {
    const int rows = std::min(kChunkRows, n - r0);
    const int full = rows / kMR * kMR;  // rows in full kMR blocks
    pack_inputs(x + static_cast<size_t>(r0) * in, rows, in, ws);
    float* yc = y + static_cast<size_t>(r0) * ys;
    for (int g = 0; g < L.groups; ++g) {
      const int gp = L.group_panels(g);
      const size_t wk = static_cast<size_t>(gp) * kPanel;
      const int g0 = g * kGroup * kPanel;
      // Full blocks panel-major: a panel's weights (in * kPanel floats) stay
      // in L1 while the chunk's samples stream past them.
      for (int j = 0; j < gp; ++j) {
        const float* w = L.group(g) + j * kPanel;
        const int o0 = g0 + j * kPanel;
        for (int m = 0; m < full; m += kMR)
          micro<kMR, 1, A>(in, ws + static_cast<size_t>(m) * in, w, wk, yc + m * ys + o0, ys,
                           L.out - o0);
      }
      if (full < rows)
        rows_x_group_dispatch<kMR - 1, A>(rows - full, gp, in, ws + static_cast<size_t>(full) * in,
                                          L.group(g), wk, yc + full * ys + g0, ys, L.out - g0);
    }
  }
}

}  // namespace

size_t dense_workspace_floats(int in, int n) {
  return n <= 1 ? 0 : static_cast<size_t>(std::min(n, kChunkRows)) * static_cast<size_t>(in);
}

void dense_forward(const PackedDense& layer, const float* x, int n, float* y, Activation act,
                   float* workspace) {
  switch (act) {
    case Activation::kIdentity: forward_act<Activation::kIdentity>(layer, x, n, y, workspace); break;
    case Activation::kRelu: forward_act<Activation::kRelu>(layer, x, n, y, workspace); break;
    case Activation::kSigmoid: forward_act<Activation::kSigmoid>(layer, x, n, y, workspace); break;
  }
}

}  // namespace kernels
}  // namespace lw

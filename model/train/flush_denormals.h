// Flush-to-zero (FTZ) and denormals-are-zero (DAZ) for the calling thread, while in scope.
//
// Why: Adam's first moment decays geometrically (m <- 0.9 m) for every weight whose gradient is
// zero or nearly so, e.g. the first layer's weights of border pixels that dynamic binarisation
// rarely turns on. It then passes through the subnormal range (below 1.18e-38), where Intel cores
// take a microcode assist on every multiply. On this project's 2-core Xeon machine that made
// lw::adam_update 55% of a training profile (perf, 784-768-512-256-16 model) and stretched epochs
// from 9.5 s to 21 s. Subnormals carry no information a float32 network can use, so training flushes
// them to zero, as PyTorch's torch.set_flush_denormal and TensorFlow's default CPU settings do.
//
// x86 with SSE only (the MXCSR register); elsewhere (wasm, which has no such control, and other
// CPUs) the guard does nothing. The previous MXCSR is restored on scope exit so library callers
// keep their floating-point environment.
#pragma once

#if defined(__SSE__) || defined(_M_X64)
#include <xmmintrin.h>
#define LW_HAS_MXCSR 1
#endif

namespace lw {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals() {
#ifdef LW_HAS_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
  }
  ~ScopedFlushDenormals() {
#ifdef LW_HAS_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

  // Whether this build can change the mode at all (false on wasm and non-x86 CPUs).
  static constexpr bool supported() {
#ifdef LW_HAS_MXCSR
    return true;
#else
    return false;
#endif
  }

 private:
  static constexpr unsigned kFlushToZero = 0x8000;      // MXCSR bit 15: subnormal results become 0
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR bit 6: subnormal inputs read as 0
  unsigned saved_ = 0;
};

}  // namespace lw

// LW_OUT_OF_LINE(name): keeps a function that holds a long loop out of its callers in the
// WebAssembly build, so that V8's optimising compiler recompiles a small function rather than a
// big one around it.
//
// Why: V8 runs wasm first as baseline (Liftoff) code and recompiles a function with TurboFan once
// it has executed enough of its own code; a running call is not replaced. Binaryen (wasm-opt -O3,
// run by em++ at link) inlines every function that has a single caller, whatever its size, so the
// weight-copy loops of a model load ended up inside read_model_part (7.5 KB of wasm) and Mlp::init
// (5.4 KB): their TurboFan compiles took 39 and 27 ms in Node 20 on an idle core
// (--trace-wasm-compilation-times), on the page's background threads while the first garment
// loaded. Binaryen does not inline an exported function into its one caller (it would have to keep
// both copies), so the wasm build exports these; natively they are only kept out of line.
#pragma once

#if defined(__EMSCRIPTEN__)
#define LW_OUT_OF_LINE(name) __attribute__((noinline, export_name(name)))
#else
#define LW_OUT_OF_LINE(name) __attribute__((noinline))
#endif

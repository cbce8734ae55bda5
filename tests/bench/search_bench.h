// Micro-benchmark of lw::search (model/runtime/search.h): median time per query over
// a random index, for each metric and kernel, single thread. Callable from
// any tool; lw_search_bench (search_bench_main.cpp) prints its JSON.
#pragma once
#include <cstdint>
#include <string>

namespace lw {

struct SearchBenchOptions {
  int n = 70000;       // items in the random index
  int d = 16;          // latent dimensions
  int k = 10;          // top-k
  int queries = 300;   // timed queries per configuration (median reported)
  int warmup = 30;     // untimed queries first
  uint32_t seed = 1;   // index and query generator seed
};

// Runs the benchmark and returns one JSON object (see search_bench.cpp);
// on bad options returns {"error": "..."}.
std::string run_search_bench(const SearchBenchOptions& opt);

}  // namespace lw

// lw_search_bench [n] [d] [k] [queries]: prints run_search_bench's JSON.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/bench/search_bench.h"

int main(int argc, char** argv) {
  lw::SearchBenchOptions opt;
  if (argc > 1) opt.n = std::atoi(argv[1]);
  if (argc > 2) opt.d = std::atoi(argv[2]);
  if (argc > 3) opt.k = std::atoi(argv[3]);
  if (argc > 4) opt.queries = std::atoi(argv[4]);
  const std::string json = lw::run_search_bench(opt);
  std::fputs(json.c_str(), stdout);
  return json.find("\"error\"") == std::string::npos ? 0 : 1;
}

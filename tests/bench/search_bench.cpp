// Times lw::search on a random index: for each (metric, kernel, filter) the
// same query set is run `warmup` times untimed, then `queries` times, each
// timed alone with steady_clock; reports median, 10th/90th percentile and
// minimum in milliseconds, and the SIMD/scalar speedup of the medians.
#include "tests/bench/search_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "model/runtime/search.h"

namespace lw {
namespace {

struct Timing {
  double median_ms, p10_ms, p90_ms, min_ms;
  double checksum;  // sum of returned scores, keeps the work observable
};

using SearchFn = Status (*)(const LatentIndex&, const float*, int, int, Metric, SearchFilter, SearchWorkspace*,
                            SearchKernel);
// Called through a volatile pointer so no optimizer (wasm-opt inlines
// single-caller functions) folds search() into the timing loop: in wasm a
// function entered once never leaves V8's baseline tier (no on-stack
// replacement), whereas the web page calls search() anew every frame.
SearchFn volatile g_search = &search;

Timing time_config(const LatentIndex& ix, const std::vector<std::vector<float>>& qs, const SearchBenchOptions& opt,
                   Metric metric, SearchKernel kernel, SearchFilter filter, std::string* error) {
  SearchWorkspace ws;
  std::vector<double> ms;
  double checksum = 0;
  const int total = opt.warmup + opt.queries;
  for (int q = 0; q < total; ++q) {
    const std::vector<float>& z = qs[q % qs.size()];
    const auto t0 = std::chrono::steady_clock::now();
    const Status st = g_search(ix, z.data(), static_cast<int>(z.size()), opt.k, metric, filter, &ws, kernel);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      *error = st.message();
      return {};
    }
    if (q >= opt.warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    for (const SearchHit& h : ws.hits) checksum += h.score;
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[static_cast<size_t>(p * (ms.size() - 1) + 0.5)]; };
  return {pct(0.5), pct(0.1), pct(0.9), ms.front(), checksum};
}

}  // namespace

std::string run_search_bench(const SearchBenchOptions& opt) {
  if (opt.n < 1 || opt.d < 1 || opt.k < 1 || opt.k > opt.n || opt.queries < 1 || opt.warmup < 0) {
    return "{\"error\": \"bad options (need n, d, k, queries >= 1, k <= n, warmup >= 0)\"}";
  }
  // Items like an encoder's output: mu ~ N(0, 1), sigma log-uniform in [0.05, 1].
  std::mt19937 rng(opt.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> ulog(std::log(0.05f), 0.0f);
  const size_t count = static_cast<size_t>(opt.n) * opt.d;
  std::vector<float> mu(count), sigma(count);
  std::vector<uint8_t> label(opt.n), split(opt.n);
  for (size_t i = 0; i < count; ++i) {
    mu[i] = normal(rng);
    sigma[i] = std::exp(ulog(rng));
  }
  for (int i = 0; i < opt.n; ++i) {
    label[i] = static_cast<uint8_t>(rng() % kNumLabels);
    split[i] = static_cast<uint8_t>(rng() % 7 == 0);  // about 1/7 test, like 10k of 70k
  }
  LatentIndex ix;
  const Status st = ix.build(mu.data(), sigma.data(), opt.n, opt.d, label.data(), split.data());
  if (!st.ok()) return "{\"error\": \"" + st.message() + "\"}";
  // Queries: standard normal points (what the sliders produce).
  std::vector<std::vector<float>> qs(64, std::vector<float>(opt.d));
  for (auto& q : qs) {
    for (float& v : q) v = normal(rng);
  }

  struct Config {
    const char* metric_name;
    Metric metric;
    const char* filter_name;
    SearchFilter filter;
  };
  const Config configs[] = {
      {"likelihood", Metric::kLikelihood, "all", {}},
      {"euclidean", Metric::kEuclidean, "all", {}},
      {"likelihood", Metric::kLikelihood, "train,label=3", {0, 3}},
  };
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\n  \"benchmark\": \"lw::search\",\n  \"n\": %d,\n  \"d\": %d,\n  \"k\": %d,\n"
                "  \"queries\": %d,\n  \"warmup\": %d,\n  \"threads\": 1,\n  \"results\": [",
                opt.n, opt.d, opt.k, opt.queries, opt.warmup);
  std::string json = buf;
  std::string speedups;
  bool first = true;
  for (const Config& c : configs) {
    double median[2] = {0, 0};
    for (int kern = 0; kern < 2; ++kern) {
      const SearchKernel kernel = kern == 0 ? SearchKernel::kSimd : SearchKernel::kScalar;
      std::string error;
      const Timing t = time_config(ix, qs, opt, c.metric, kernel, c.filter, &error);
      if (!error.empty()) return "{\"error\": \"" + error + "\"}";
      median[kern] = t.median_ms;
      std::snprintf(buf, sizeof(buf),
                    "%s\n    {\"metric\": \"%s\", \"filter\": \"%s\", \"kernel\": \"%s\", \"median_ms\": %.4f, "
                    "\"p10_ms\": %.4f, \"p90_ms\": %.4f, \"min_ms\": %.4f, \"checksum\": %.6g}",
                    first ? "" : ",", c.metric_name, c.filter_name, kern == 0 ? "simd" : "scalar", t.median_ms,
                    t.p10_ms, t.p90_ms, t.min_ms, t.checksum);
      json += buf;
      first = false;
    }
    std::snprintf(buf, sizeof(buf), "%s\n    \"%s/%s\": %.2f", speedups.empty() ? "" : ",", c.metric_name,
                  c.filter_name, median[1] / median[0]);
    speedups += buf;
  }
  json += "\n  ],\n  \"speedup_simd_over_scalar\": {" + speedups + "\n  }\n}\n";
  return json;
}

}  // namespace lw

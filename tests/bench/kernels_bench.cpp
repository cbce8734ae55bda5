// lw_kernels_bench: the decoder MLP (default 16 -> 256 -> 512 -> 784, ReLU,
// sigmoid output) at several batch sizes, packed SIMD kernels (lw::Mlp) vs
// Eigen (noalias GEMM + bias + activation) vs the scalar reference. Median of
// per-call wall times after warm-up. Builds natively and for wasm (run the
// latter in Node; see the report in the commit message for the command).
//
// Natively lw_core links OpenMP, so Eigen's GEMM uses every core unless
// OMP_NUM_THREADS=1 (the kernels are single-threaded; compare with 1).
//
// Usage: lw_kernels_bench [--reps N] [--scalar-reps N] [--json]
//                         [--sizes 16,256,512,784] [--batches 1,8,64,256]
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#include <time.h>
#endif

#include "model/runtime/kernels/dense_ref.h"
#include "model/runtime/kernels/sigmoid.h"
#include "model/runtime/kernels/simd.h"
#include "model/runtime/mlp_infer.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  while (*s) {
    out.push_back(std::atoi(s));
    const char* comma = std::strchr(s, ',');
    if (!comma) break;
    s = comma + 1;
  }
  return out;
}

#ifdef __EMSCRIPTEN__
// Process CPU time in microseconds under Node (wall time in a browser).
EM_JS(double, cpu_time_us, (), {
  if (typeof process !== 'undefined' && process.cpuUsage) return process.cpuUsage().user;
  return performance.now() * 1000;
});
#else
double cpu_time_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}
#endif

struct Timing {
  double median_ms;  // median wall time per call
  double min_ms;     // fastest call
  double cpu_ms;     // mean CPU time per call: on a shared, busy machine this
                     // excludes the time the process waits for a core
};

template <typename F>
Timing time_ms(int reps, F f) {
  for (int i = 0; i < std::max(3, reps / 10); ++i) f();  // warm-up
  std::vector<double> t(reps);
  const double cpu0 = cpu_time_us();
  for (int i = 0; i < reps; ++i) {
    const Clock::time_point a = Clock::now();
    f();
    const Clock::time_point b = Clock::now();
    t[i] = std::chrono::duration<double, std::milli>(b - a).count();
  }
  const double cpu = (cpu_time_us() - cpu0) * 1e-3 / reps;
  std::sort(t.begin(), t.end());
  return Timing{t[reps / 2], t[0], cpu};
}

struct Layer {
  Eigen::MatrixXf w;  // [out x in]
  Eigen::VectorXf b;  // [out]
};

// Eigen baseline on the training layout (one column per sample): GEMM, bias
// add and activation as separate steps (so Eigen vectorises exp).
struct EigenNet {
  std::vector<Layer> layers;
  std::vector<Eigen::MatrixXf> act;  // act[l]: [out_l x batch]
  void resize(int n) {
    act.resize(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) act[l].resize(layers[l].w.rows(), n);
  }
  const Eigen::MatrixXf& forward(const Eigen::Ref<const Eigen::MatrixXf>& z) {
    for (size_t l = 0; l < layers.size(); ++l) {
      Eigen::MatrixXf& h = act[l];
      if (l == 0) {
        h.noalias() = layers[l].w * z;
      } else {
        h.noalias() = layers[l].w * act[l - 1];
      }
      h.colwise() += layers[l].b;
      Eigen::Map<Eigen::ArrayXf> flat(h.data(), h.size());
      if (l + 1 < layers.size()) {
        flat = flat.max(0.0f);
      } else {
        flat = 1.0f / (1.0f + (-flat).exp());
      }
    }
    return act.back();
  }
};

}  // namespace

int main(int argc, char** argv) {
  int reps = 200, scalar_reps = 20;
  bool json = false;
  std::vector<int> sizes = {16, 256, 512, 784};
  std::vector<int> batches = {1, 8, 64, 256};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--scalar-reps" && i + 1 < argc) scalar_reps = std::max(0, std::atoi(argv[++i]));
    else if (a == "--json") json = true;
    else if (a == "--sizes" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--batches" && i + 1 < argc) batches = parse_list(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--reps N] [--scalar-reps N] [--json] [--sizes a,b,..] [--batches a,b,..]\n", argv[0]);
      return 2;
    }
  }
  if (sizes.size() < 2) {
    std::fprintf(stderr, "need at least two sizes\n");
    return 2;
  }

  std::mt19937 rng(1);
  EigenNet eigen;
  std::vector<lw::MlpLayer> specs;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float scale = std::sqrt(6.0f / sizes[l]);
    Layer layer{Eigen::MatrixXf(sizes[l + 1], sizes[l]), Eigen::VectorXf(sizes[l + 1])};
    for (int i = 0; i < layer.w.size(); ++i) layer.w.data()[i] = scale * u(rng);
    for (int i = 0; i < layer.b.size(); ++i) layer.b[i] = 0.1f * u(rng);
    eigen.layers.push_back(layer);
  }
  for (size_t l = 0; l < eigen.layers.size(); ++l) {
    lw::MlpLayer s;
    s.w = eigen.layers[l].w.data();
    s.b = eigen.layers[l].b.data();
    s.in = sizes[l];
    s.out = sizes[l + 1];
    s.act = l + 2 < sizes.size() ? lw::Activation::kRelu : lw::Activation::kSigmoid;
    specs.push_back(s);
  }
  lw::Mlp mlp;
  lw::Status st = mlp.init(specs);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }

#if defined(__wasm_simd128__)
  const char* target = "wasm-simd128";
#elif defined(__wasm__)
  const char* target = "wasm-scalar";
#else
  const char* target = "native";
#endif
  std::string net;
  for (size_t i = 0; i < sizes.size(); ++i) net += (i ? "-" : "") + std::to_string(sizes[i]);
  if (!json) {
    std::printf("decoder %s + sigmoid, target %s, vector %d floats, Eigen threads %d, median of %d "
                "calls (scalar %d)\n",
                net.c_str(), target, lw::kernels::kVecFloats, Eigen::nbThreads(), reps, scalar_reps);
    std::printf("%6s %12s %12s %12s %9s %9s %10s %10s %10s %10s %10s\n", "batch", "kernels_ms", "eigen_ms",
                "scalar_ms", "speedup", "GFLOP/s", "max|diff|", "k_min_ms", "e_min_ms", "k_cpu_ms",
                "e_cpu_ms");
  } else {
    std::printf("{\"net\": \"%s\", \"target\": \"%s\", \"vec_floats\": %d, \"eigen_threads\": %d, "
                "\"reps\": %d, \"results\": [",
                net.c_str(), target, lw::kernels::kVecFloats, Eigen::nbThreads(), reps);
  }
  double macs = 0;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) macs += static_cast<double>(sizes[l]) * sizes[l + 1];
  bool first = true;
  for (int n : batches) {
    if (n < 1) continue;
    const int in = sizes.front(), out = sizes.back();
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> z(static_cast<size_t>(n) * in);
    for (float& v : z) v = g(rng);
    std::vector<float> y(static_cast<size_t>(n) * out);
    if (!mlp.reserve(n).ok()) return 1;
    eigen.resize(n);
    Eigen::Map<const Eigen::MatrixXf> zm(z.data(), in, n);

    const Timing t_k = time_ms(reps, [&] { (void)mlp.forward(z.data(), n, y.data()); });
    const Timing t_e = time_ms(reps, [&] { eigen.forward(zm); });

    // Scalar reference chain (the baseline without SIMD kernels).
    std::vector<std::vector<float>> bufs(specs.size());
    for (size_t l = 0; l < specs.size(); ++l) bufs[l].resize(static_cast<size_t>(n) * specs[l].out);
    Timing t_s{-1, -1, -1};
    if (scalar_reps > 0) {
      t_s = time_ms(scalar_reps, [&] {
        const float* src = z.data();
        for (size_t l = 0; l < specs.size(); ++l) {
          lw::kernels::dense_ref(specs[l].w, specs[l].b, specs[l].in, specs[l].out, src, n,
                                 bufs[l].data(), specs[l].act);
          src = bufs[l].data();
        }
      });
    }

    // Sanity: both engines compute the same thing.
    const Eigen::MatrixXf& ye = eigen.forward(zm);
    double diff = 0;
    for (int j = 0; j < n; ++j)
      for (int o = 0; o < out; ++o)
        diff = std::max(diff, static_cast<double>(std::abs(y[static_cast<size_t>(j) * out + o] - ye(o, j))));
    const double gflops = 2.0 * macs * n / (t_k.median_ms * 1e6);
    if (!json) {
      std::printf("%6d %12.4f %12.4f %12.4f %8.2fx %9.2f %10.2e %10.4f %10.4f %10.4f %10.4f\n", n,
                  t_k.median_ms, t_e.median_ms, t_s.median_ms, t_e.median_ms / t_k.median_ms, gflops,
                  diff, t_k.min_ms, t_e.min_ms, t_k.cpu_ms, t_e.cpu_ms);
    } else {
      std::printf("%s{\"batch\": %d, \"kernels_ms\": %.5f, \"eigen_ms\": %.5f, \"scalar_ms\": %.5f, "
                  "\"kernels_min_ms\": %.5f, \"eigen_min_ms\": %.5f, \"kernels_cpu_ms\": %.5f, "
                  "\"eigen_cpu_ms\": %.5f, \"gflops\": %.3f, \"max_abs_diff\": %.3g}",
                  first ? "" : ", ", n, t_k.median_ms, t_e.median_ms, t_s.median_ms, t_k.min_ms,
                  t_e.min_ms, t_k.cpu_ms, t_e.cpu_ms, gflops, diff);
    }
    first = false;
  }
  // The sigmoid alone on one decoder output (out floats), for scale.
  {
    std::vector<float> h(sizes.back()), p(sizes.back());
    std::normal_distribution<float> g(0.0f, 4.0f);
    for (float& v : h) v = g(rng);
    const Timing t = time_ms(reps * 10, [&] { lw::kernels::sigmoid(h.data(), h.size(), p.data()); });
    if (!json) {
      std::printf("sigmoid of %zu floats: median %.5f ms\n", h.size(), t.median_ms);
    } else {
      std::printf("], \"sigmoid_%zu_ms\": %.6f", h.size(), t.median_ms);
    }
  }
  if (json) std::printf("}\n");
  return 0;
}

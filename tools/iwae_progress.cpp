#include "tools/iwae_progress.h"

#include <algorithm>
#include <optional>

#include "model/native/batch_infer.h"
#include "tools/progress.h"

namespace lw {

Status iwae_images_with_progress(const std::string& label, const VaeParams& params, const float* x, int n, int k,
                                 uint64_t seed, std::vector<double>* out) {
  if (n < 0) return Status::Error("IWAE: image count must be >= 0, got " + std::to_string(n));
  // Twenty chunks or more, each large enough to keep every thread busy.
  const int chunk = std::max(64, (n + 19) / 20);
  const size_t pixels = static_cast<size_t>(params.encoder_input());
  out->assign(static_cast<size_t>(n), 0.0);
  // No bar for small jobs (under a million decoder samples), so the CLI's
  // quick runs and its one-line errors print nothing more.
  constexpr int64_t kBarSamples = 1000000;
  std::optional<ProgressBar> bar;
  if (static_cast<int64_t>(n) * k >= kBarSamples) bar.emplace(label);
  double sum = 0;
  std::vector<double> part;
  for (int start = 0; start < n; start += chunk) {
    const int count = std::min(chunk, n - start);
    LW_RETURN_IF_ERROR(iwae_images(params, x + static_cast<size_t>(start) * pixels, count, k, seed, &part, start));
    std::copy(part.begin(), part.end(), out->begin() + start);
    for (double v : part) sum += v;
    if (bar) bar->update(start + count, n, sum / (start + count));
  }
  if (bar) bar->finish();
  return Status::Ok();
}

}  // namespace lw

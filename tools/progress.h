// A one-line progress bar on stderr: bar, images/s, running loss, ETA.
// On a terminal it redraws in place; otherwise (CI logs) it prints a line
// every 10% so logs stay short.
#pragma once
#include <chrono>
#include <string>

namespace lw {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void update(long done, long total, double running_loss);
  void finish();

 private:
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool tty_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

std::string format_duration(double seconds);  // "1:05" or "1:02:03"

}  // namespace lw

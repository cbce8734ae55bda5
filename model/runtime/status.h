// Error reporting for library code: functions return a Status (or fill an
// out-parameter and return Status). Library code never exits or throws across
// its API; only tools' main() turns an error into an exit code.
#pragma once
#include <string>
#include <utility>

namespace lw {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.message_ = std::move(message);
    if (s.message_.empty()) s.message_ = "unknown error";
    return s;
  }
  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }
  // Prefix the message with context, e.g. the file name: "train.gz: truncated".
  Status with_context(const std::string& context) const {
    return ok() ? *this : Error(context + ": " + message_);
  }

 private:
  std::string message_;  // empty when ok
};

#define LW_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::lw::Status lw_status_ = (expr);     \
    if (!lw_status_.ok()) return lw_status_; \
  } while (0)

}  // namespace lw

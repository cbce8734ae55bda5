#include "tools/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace lw {

Status Args::parse(int argc, char** argv, const std::set<std::string>& value_flags,
                   const std::set<std::string>& switches) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Status::Error("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name)) {
      if (inline_value) return Status::Error("--" + name + " takes no value");
      switches_.insert(name);
    } else if (value_flags.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) return Status::Error("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      return Status::Error("unknown flag --" + name + " (see --help)");
    }
  }
  return Status::Ok();
}

std::string Args::get_string(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

Status Args::require(const std::string& name) const {
  return has(name) ? Status::Ok() : Status::Error("missing required flag --" + name);
}

namespace {

bool parse_long(const std::string& text, long long* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  *out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end != nullptr && *end == '\0';
}

bool parse_float(const std::string& text, float* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  *out = std::strtof(text.c_str(), &end);
  return errno == 0 && end != nullptr && *end == '\0' && std::isfinite(*out);
}

}  // namespace

Status Args::get_int(const std::string& name, int fallback, int min, int max, int* out) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    *out = fallback;
    return Status::Ok();
  }
  long long v = 0;
  if (!parse_long(it->second, &v) || v < min || v > max) {
    return Status::Error("--" + name + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                         "], got '" + it->second + "'");
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status Args::get_u64(const std::string& name, uint64_t fallback, uint64_t* out) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    *out = fallback;
    return Status::Ok();
  }
  long long v = 0;
  if (!parse_long(it->second, &v) || v < 0) return Status::Error("--" + name + " must be a non-negative integer, got '" + it->second + "'");
  *out = static_cast<uint64_t>(v);
  return Status::Ok();
}

Status Args::get_float(const std::string& name, float fallback, float min, float max, float* out) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    *out = fallback;
    return Status::Ok();
  }
  float v = 0;
  if (!parse_float(it->second, &v) || v < min || v > max) {
    std::ostringstream msg;
    msg << "--" << name << " must be a number in [" << min << ", " << max << "], got '" << it->second << "'";
    return Status::Error(msg.str());
  }
  *out = v;
  return Status::Ok();
}

Status Args::get_int_list(const std::string& name, const std::vector<int>& fallback, std::vector<int>* out) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    *out = fallback;
    return Status::Ok();
  }
  out->clear();
  std::stringstream ss(it->second);
  std::string item;
  while (std::getline(ss, item, ',')) {
    long long v = 0;
    if (!parse_long(item, &v) || v < 1 || v > 16384) {
      return Status::Error("--" + name + " must be comma-separated integers in [1, 16384], got '" + it->second + "'");
    }
    out->push_back(static_cast<int>(v));
  }
  if (out->empty()) return Status::Error("--" + name + " is empty");
  return Status::Ok();
}

Status Args::get_float_list(const std::string& name, std::vector<float>* out) const {
  out->clear();
  auto it = values_.find(name);
  if (it == values_.end()) return Status::Error("missing required flag --" + name);
  std::stringstream ss(it->second);
  std::string item;
  while (std::getline(ss, item, ',')) {
    float v = 0;
    if (!parse_float(item, &v)) {
      return Status::Error("--" + name + ": value " + std::to_string(out->size() + 1) + " ('" + item +
                           "') is not a finite number");
    }
    out->push_back(v);
  }
  if (out->empty()) return Status::Error("--" + name + " is empty");
  return Status::Ok();
}

}  // namespace lw

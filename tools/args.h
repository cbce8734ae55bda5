// Minimal flag parsing for the wardrobe subcommands: --name value and
// --switch. Every value is validated by the typed getters, which return a
// Status naming the flag, so `main` can print one line and exit non-zero.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/runtime/status.h"

namespace lw {

class Args {
 public:
  // `switches` are flags without a value; all other flags take one value.
  // Unknown flags are errors (catches typos like --epoch).
  Status parse(int argc, char** argv, const std::set<std::string>& value_flags, const std::set<std::string>& switches);

  bool has(const std::string& name) const { return values_.count(name) > 0 || switches_.count(name) > 0; }
  std::string get_string(const std::string& name, const std::string& fallback) const;
  Status get_int(const std::string& name, int fallback, int min, int max, int* out) const;
  Status get_u64(const std::string& name, uint64_t fallback, uint64_t* out) const;
  Status get_float(const std::string& name, float fallback, float min, float max, float* out) const;
  // Comma-separated integers, e.g. --hidden 512,256.
  Status get_int_list(const std::string& name, const std::vector<int>& fallback, std::vector<int>* out) const;
  // Comma-separated floats, e.g. --z "0.1,-2,...".
  Status get_float_list(const std::string& name, std::vector<float>* out) const;
  Status require(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;  // --flag value
  std::set<std::string> switches_;             // --switch
};

}  // namespace lw

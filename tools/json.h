// Tiny JSON output helpers for the tools' --json modes and logs.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>

namespace lw {

inline std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A finite number with enough digits to round-trip a float; null otherwise.
inline std::string json_number(double v, int precision = 6) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

inline std::string join_command(int argc, char** argv, const char* prefix) {
  std::string cmd = prefix;
  for (int i = 0; i < argc; ++i) {
    cmd += ' ';
    cmd += argv[i];
  }
  return cmd;
}

}  // namespace lw

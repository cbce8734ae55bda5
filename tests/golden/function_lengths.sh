#!/usr/bin/env bash
# Lists the longest C++ functions outside tests (lines from signature to
# closing brace, as Universal Ctags sees them), longest first.
#   tests/golden/function_lengths.sh [TOP]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=${1:-10}
git ls-files 'model/*.cpp' 'model/*.h' 'tools/*.cpp' 'tools/*.h' 'wasm/*.cpp' 'wasm/*.h' |
  xargs ctags --c++-kinds=f --fields=+ne --extras=-q -o - |
  awk -F'\t' '{
    line = ""; end = ""; scope = "";
    for (i = 4; i <= NF; ++i) {
      if ($i ~ /^line:/) line = substr($i, 6);
      if ($i ~ /^end:/) end = substr($i, 5);
      if ($i ~ /^(class|struct|function):/) scope = substr($i, index($i, ":") + 1) "::";
    }
    if (line != "" && end != "") printf "%5d  %s:%s  %s%s\n", end - line + 1, $2, line, scope, $1;
  }' | sort -rn | head -n "$top"

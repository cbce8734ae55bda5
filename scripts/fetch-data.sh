#!/usr/bin/env bash
# Prints the Fashion-MNIST directory to use, downloading the four official
# files into data/fashion-mnist (MD5-verified) only when none is available:
#   $FASHION_MNIST_DIR, else data/fashion-mnist, else ../shared/fashion-mnist (the team's
#   machines and CI keep a copy beside the clone), else download.
# A folder counts when it holds each file gzip'd or plain (train-images-idx3-ubyte
# or .gz, also the dotted train-images.idx3-ubyte of some mirrors), as the
# native loader (model/native/dataset.cpp) accepts; it checks the contents.
set -euo pipefail
cd "$(dirname "$0")/.."

files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
md5s=(8d4fb7e6c68d591d4c3dfef9ec88bf0d 25c81989df183df01b3e8a0aad5dffbe bef4ecab320f06d8554ea6380940ec79 bb300cfdad3c16e7a12a480ee83cd310)
base_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"

# Whether dir holds every file in some layout; lists what is missing on stderr if asked.
complete() {
  local dir=$1 report=${2:-} f stem dotted ok=0
  for f in "${files[@]}"; do
    stem=${f%.gz}
    dotted=${stem/-idx/.idx}
    if [[ -s "$dir/$stem" || -s "$dir/$stem.gz" || -s "$dir/$dotted" || -s "$dir/$dotted.gz" ]]; then continue; fi
    ok=1
    [[ -n $report ]] && echo "fetch-data: $dir has no $stem[.gz]" >&2
  done
  return $ok
}

if [[ -n "${FASHION_MNIST_DIR:-}" ]]; then
  if complete "$FASHION_MNIST_DIR"; then
    (cd "$FASHION_MNIST_DIR" && pwd)
    exit 0
  fi
  complete "$FASHION_MNIST_DIR" report || true
  echo "fetch-data: error: FASHION_MNIST_DIR=$FASHION_MNIST_DIR does not hold the four Fashion-MNIST files (gzip'd or plain)" >&2
  exit 1
fi
for dir in data/fashion-mnist ../shared/fashion-mnist; do
  if complete "$dir"; then
    (cd "$dir" && pwd)
    exit 0
  fi
done
dir=data/fashion-mnist
mkdir -p "$dir"
echo "fetch-data: downloading Fashion-MNIST into $dir" >&2
for i in "${!files[@]}"; do
  f=${files[$i]}
  if ! curl -fsSL --retry 2 --connect-timeout 15 -o "$dir/$f.part" "$base_url/$f"; then
    rm -f "$dir/$f.part"
    echo "fetch-data: error: could not download $f (no network?). Set FASHION_MNIST_DIR to a directory holding the four official files." >&2
    exit 1
  fi
  sum=$(md5sum "$dir/$f.part" | cut -d' ' -f1)
  if [[ "$sum" != "${md5s[$i]}" ]]; then
    rm -f "$dir/$f.part"
    echo "fetch-data: error: $f has MD5 $sum, expected ${md5s[$i]}" >&2
    exit 1
  fi
  mv "$dir/$f.part" "$dir/$f"
done
(cd "$dir" && pwd)

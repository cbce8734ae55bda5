// wardrobe: the latent-wardrobe command-line tool. One binary, subcommands.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  lw::Status (*run)(int, char**);
  const char* usage;
};

const Command kCommands[] = {
    {"train", lw::cmd_train,
     "train --out PATH [--data DIR] [--latent 16] [--hidden 512,256] [--epochs 20] [--batch 128] [--lr 1e-3]\n"
     "        [--schedule constant|cosine] [--lr-min 0] [--kl-warmup EPOCHS] [--seed 1] [--validation 5000]\n"
     "        [--resume PATH.ckpt] [--log PATH] [--no-binarize] [--threads N] [--quiet]\n"
     "    Trains the VAE. Writes the best-by-validation model to PATH, the latest checkpoint to PATH.ckpt\n"
     "    and one JSON line per epoch to PATH.log.jsonl."},
    {"eval", lw::cmd_eval,
     "eval --model PATH [--data DIR] [--iwae 1000] [--limit N] [--json]\n"
     "    Test-set negative ELBO (rec + KL), IWAE estimate of the NLL with K samples, active units."},
    {"sample", lw::cmd_sample,
     "sample --model PATH --out grid.png [--n 64] [--seed 1] [--temperature 1] [--scale 3]\n"
     "    Decodes z ~ N(0, t^2 I) into a PNG grid."},
    {"reconstruct", lw::cmd_reconstruct,
     "reconstruct --model PATH --out grid.png [--data DIR] [--n 32] [--scale 3] [--only-reconstructions]\n"
     "    Test garments (odd rows) above their reconstructions (even rows), as a PNG grid."},
    {"export", lw::cmd_export,
     "export --model PATH --out-dir DIR [--data DIR] [--dtype f16|f32] [--anomaly-k 100]\n"
     "    Writes the web blobs: decoder.lwb (+ KL per dimension), encoder.lwb (+ test-set anomaly scores)."},
    {"index", lw::cmd_index,
     "index --model PATH --out-dir DIR [--data DIR] [--dtype f32|f16]\n"
     "    Encodes all 70,000 garments into index.lwb, their pixels into pages, and manifest.json."},
    {"search", lw::cmd_search,
     "search --index PATH (--z v1,...,vd | --item N) [--k 10] [--metric likelihood|euclidean]\n"
     "        [--split all|train|test] [--class C] [--json]\n"
     "    Ranks every garment by log q(z|x) (or Euclidean distance to mu)."},
    {"eval-search", lw::cmd_eval_search,
     "eval-search --index PATH [--limit N] [--json]\n"
     "    Self-retrieval, class agreement and k-NN accuracy for both metrics."},
    {"anomalies", lw::cmd_anomalies,
     "anomalies --model PATH --out grid.png [--data DIR] [--top 50] [--k 100] [--split test|train] [--json]\n"
     "    The most anomalous garments (highest IWAE NLL) as a PNG grid."},
};

void print_help() {
  std::printf(
      "wardrobe: train, evaluate and export the latent-wardrobe VAE of Fashion-MNIST garments.\n\n"
      "usage: wardrobe <command> [flags]   (wardrobe <command> --help for one command)\n\n");
  for (const Command& c : kCommands) std::printf("  %s\n\n", c.usage);
  std::printf("The dataset directory is --data, else $FASHION_MNIST_DIR, else data/fashion-mnist.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    for (int i = 2; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
        std::printf("usage: wardrobe %s\n", c.usage);
        return 0;
      }
    }
    const lw::Status status = c.run(argc - 2, argv + 2);
    if (!status.ok()) {
      std::fprintf(stderr, "wardrobe %s: error: %s\n", c.name, status.message().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "wardrobe: unknown command '%s' (try wardrobe --help)\n", argv[1]);
  return 2;
}

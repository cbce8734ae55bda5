// wardrobe: the latent-wardrobe command-line tool. One binary, subcommands,
// parsed by CLI11: typed options, each numeric one with a documented domain
// (a value outside it is an error naming the value), help per subcommand.
// Errors are one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace {

// A whole number in [lo, hi]. CLI::Range alone says "Value 1.5 not in range 0 to 100000" for any
// value it cannot read as the option's integer type, also for text and for numbers inside the range.
CLI::Validator int_in(long long lo, long long hi) {
  const std::string domain = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [=](std::string& input) {
        long long v = 0;
        if (!CLI::detail::lexical_cast(input, v)) return "value " + input + " is not a whole number";
        if (v < lo || v > hi) return "value " + input + " is outside " + domain;
        return std::string();
      },
      "INT in " + domain);
}

// A real number in a range, finite; open or closed at each end.
CLI::Validator real_in(double lo, bool lo_open, double hi, bool hi_open) {
  const std::string domain = std::string(lo_open ? "(" : "[") + CLI::detail::to_string(lo) + ", " +
                             CLI::detail::to_string(hi) + (hi_open ? ")" : "]");
  return CLI::Validator(
      [=](std::string& input) {
        double v = 0;
        if (!CLI::detail::lexical_cast(input, v) || !std::isfinite(v) || (lo_open ? v <= lo : v < lo) ||
            (hi_open ? v >= hi : v > hi)) {
          return "value " + input + " is not a finite number in " + domain;
        }
        return std::string();
      },
      "REAL in " + domain);
}

// A number a float holds as a finite value.
CLI::Validator finite_float() {
  return CLI::Validator(
      [](std::string& input) {
        double v = 0;
        if (!CLI::detail::lexical_cast(input, v) || !std::isfinite(v) || std::fabs(v) > FLT_MAX) {
          return "value " + input + " is not a finite number";
        }
        return std::string();
      },
      "finite REAL");
}

// The one-line summaries of `wardrobe --help`, also shown above a command's options.
struct Usage {
  const char* name;
  const char* text;
};
const Usage kUsage[] = {
    {"train",
     "train --out PATH [--data DIR] [--latent 16] [--hidden 512,256] [--conv c32k4s2p1,...] [--decoder-hidden H,...]\n"
     "        [--epochs 20] [--batch 128] [--lr 1e-3]\n"
     "        [--schedule constant|cosine] [--lr-min 0] [--kl-warmup EPOCHS] [--seed 1] [--validation 5000]\n"
     "        [--resume PATH.ckpt | --init MODEL] [--iwae-samples 1] [--log PATH] [--no-binarize] [--threads N]\n"
     "        [--iwae-gradient standard|dreg] [--freeze-posterior-mean] [--quiet]\n"
     "    Trains the VAE (--iwae-samples K > 1: the IWAE bound with K samples; --init: fine-tune a model).\n"
     "    Writes the best-by-validation model to PATH, the latest checkpoint to PATH.ckpt and one JSON line\n"
     "    per epoch to PATH.log.jsonl."},
    {"eval",
     "eval --model PATH [--data DIR] [--iwae 1000] [--limit N] [--weights f32|f16|i8] [--json]\n"
     "    Test-set negative ELBO (rec + KL), IWAE estimate of the NLL with K samples, active units.\n"
     "    --weights f16|i8 scores the weights rounded as `export --dtype` stores them (what the page runs)."},
    {"sample",
     "sample --model PATH --out grid.png [--n 64] [--seed 1] [--temperature 1] [--scale 3]\n"
     "    Decodes z ~ N(0, t^2 I) into a PNG grid."},
    {"reconstruct",
     "reconstruct --model PATH --out grid.png [--data DIR] [--n 32] [--scale 3] [--only-reconstructions]\n"
     "    Test garments (odd rows) above their reconstructions (even rows), as a PNG grid."},
    {"export",
     "export --model PATH --out-dir DIR [--data DIR] [--dtype f16|f32|i8] [--decoder-dtype f16|f32|i8]\n"
     "        [--anomaly-k 100]\n"
     "    Writes the web blobs: decoder.lwb (+ KL per dimension), encoder.lwb (+ test-set anomaly scores).\n"
     "    i8: weight matrices as bytes with one f32 scale per row, biases f16 (half the f16 size)."},
    {"index",
     "index --model PATH --out-dir DIR [--data DIR] [--dtype f32|f16]\n"
     "    Encodes all 70,000 garments into index.lwb, their pixels into pages, and manifest.json."},
    {"search",
     "search --index PATH (--z v1,...,vd | --item N) [--k 10] [--metric likelihood|euclidean]\n"
     "        [--split all|train|test] [--class C] [--json]\n"
     "    Ranks every garment by log q(z|x) (or Euclidean distance to mu)."},
    {"eval-search",
     "eval-search --index PATH [--limit N] [--json]\n"
     "    Self-retrieval, class agreement and k-NN accuracy for both metrics."},
    {"anomalies",
     "anomalies --model PATH --out grid.png [--data DIR] [--top 50] [--k 100] [--split test|train] [--json]\n"
     "    The most anomalous garments (highest IWAE NLL) as a PNG grid."},
};

void print_help() {
  std::printf(
      "wardrobe: train, evaluate and export the latent-wardrobe VAE of Fashion-MNIST garments.\n\n"
      "usage: wardrobe <command> [flags]   (wardrobe <command> --help for one command)\n\n");
  for (const Usage& u : kUsage) std::printf("  %s\n\n", u.text);
  std::printf("The dataset directory is --data, else $FASHION_MNIST_DIR, else data/fashion-mnist.\n");
}

// All subcommands' options; the one that parses runs.
struct Options {
  lw::TrainOptions train;
  lw::EvalOptions eval;
  lw::SampleOptions sample;
  lw::ReconstructOptions reconstruct;
  lw::ExportOptions exporter;
  lw::IndexOptions index;
  lw::SearchOptions search;
  lw::EvalSearchOptions eval_search;
  lw::AnomaliesOptions anomalies;
};

CLI::App* command(CLI::App* app, const char* name, std::function<lw::Status()> run,
                  std::function<lw::Status()>* selected) {
  CLI::App* sub = app->add_subcommand(name, "");
  sub->callback([run, selected] { *selected = run; });
  return sub;
}

void add_data(CLI::App* sub, std::string* data) {
  sub->add_option("--data", *data, "dataset directory (else $FASHION_MNIST_DIR, else data/fashion-mnist)");
}

void add_train(CLI::App* app, lw::TrainOptions* o, std::function<lw::Status()>* selected) {
  CLI::App* sub = command(app, "train", [o] { return lw::cmd_train(*o); }, selected);
  sub->add_option("--out", o->out, "best model (weights blob); PATH.ckpt is the latest checkpoint")->required();
  add_data(sub, &o->data);
  sub->add_option("--latent", o->latent, "latent dimensions")->check(int_in(1, 1024))->capture_default_str();
  sub->add_option("--hidden", o->hidden, "encoder (dense) hidden sizes, input side first (a quick model; the committed default model is "
                  "768,512,256: model/default/MODEL_CARD.md)")
      ->delimiter(',')->check(int_in(1, 16384))->capture_default_str();
  sub->add_option("--conv", o->conv,
                  "encoder convolutions before the dense layers, input side first, each cCHANNELSkKERNELsSTRIDEpPAD "
                  "(e.g. c32k4s2p1,c64k4s2p1; ReLU)")
      ->delimiter(',');
  sub->add_option("--decoder-hidden", o->decoder_hidden, "decoder hidden sizes, z side first (default: --hidden reversed)")
      ->delimiter(',')->check(int_in(1, 16384));
  sub->add_option("--epochs", o->epochs, "epochs in total")->check(int_in(1, 100000))->capture_default_str();
  sub->add_option("--batch", o->batch, "images per step")->check(int_in(1, 65536))->capture_default_str();
  sub->add_option("--lr", o->lr, "peak learning rate")->check(real_in(1e-7, false, 0.5, false))->capture_default_str();
  sub->add_option("--lr-min", o->lr_min, "final learning rate of the cosine schedule (<= --lr)")
      ->check(real_in(0, false, 0.5, false))->capture_default_str();
  sub->add_option("--schedule", o->schedule, "learning-rate schedule")
      ->check(CLI::IsMember({"constant", "cosine"}))->capture_default_str();
  sub->add_option("--kl-warmup", o->kl_warmup, "epochs over which the KL weight rises from 0 to 1")
      ->check(int_in(0, 100000))->capture_default_str();
  sub->add_option("--seed", o->seed, "initial weights, shuffling, binarisation, noise")->capture_default_str();
  sub->add_option("--validation", o->validation, "training images held out for early stopping")
      ->check(int_in(0, 59000))->capture_default_str();
  CLI::Option* resume = sub->add_option("--resume", o->resume, "checkpoint to continue from");
  sub->add_option("--init", o->init, "model or checkpoint whose weights start this run (fine-tuning; fresh Adam)")
      ->excludes(resume);
  sub->add_option("--iwae-samples", o->iwae_samples,
                  "objective: 1 = negative ELBO, K > 1 = the IWAE bound with K samples (Burda et al. 2016)")
      ->check(int_in(1, 1024))->capture_default_str();
  sub->add_option("--iwae-gradient", o->iwae_gradient,
                  "the encoder's gradient estimator for the IWAE bound: standard (Burda et al. 2016) or dreg "
                  "(doubly reparameterised, Tucker et al. 2019)")
      ->check(CLI::IsMember({"standard", "dreg"}))->capture_default_str();
  sub->add_flag("--freeze-posterior-mean", o->freeze_posterior_mean,
               "leave the encoder's layers that compute mu(x) as they are (with --init: fine-tune the decoder "
               "and sigma; the posterior means, and so the latent index's neighbours, stay as they were)");
  sub->add_option("--log", o->log, "JSON lines, one per epoch (default PATH.log.jsonl)");
  sub->add_option("--train-limit", o->train_limit, "use the first N training images (0 = all)")
      ->check(int_in(0, 60000));
  sub->add_option("--test-limit", o->test_limit, "evaluate on the first N test images (0 = all)")
      ->check(int_in(0, 10000));
  sub->add_option("--threads", o->threads, "OpenMP threads (0 = all cores, the default)")
      ->check(int_in(0, 256));
  sub->add_flag("--no-binarize", o->no_binarize, "train on grey values instead of x ~ Bernoulli(pixel)");
  sub->add_flag("--quiet", o->quiet, "no progress bar");
}

void add_eval(CLI::App* app, lw::EvalOptions* o, std::function<lw::Status()>* selected) {
  CLI::App* sub = command(app, "eval", [o] { return lw::cmd_eval(*o); }, selected);
  sub->add_option("--model", o->model, "model weights blob or checkpoint")->required();
  add_data(sub, &o->data);
  sub->add_option("--iwae", o->iwae, "IWAE samples per image (0 = skip the IWAE)")->check(int_in(0, 100000))->capture_default_str();
  sub->add_option("--limit", o->limit, "first N test images (default all; <= test images in the dataset)")
      ->check(int_in(1, 10000));
  sub->add_option("--weights", o->weights, "score the weights as this storage holds them")
      ->check(CLI::IsMember({"f32", "f16", "i8"}))
      ->capture_default_str();
  sub->add_flag("--json", o->json, "one JSON object on stdout");
}

void add_images(CLI::App* app, Options* o, std::function<lw::Status()>* selected) {
  lw::SampleOptions* s = &o->sample;
  CLI::App* sub = command(app, "sample", [s] { return lw::cmd_sample(*s); }, selected);
  sub->add_option("--model", s->model, "model weights blob or checkpoint")->required();
  sub->add_option("--out", s->out, "PNG grid")->required();
  sub->add_option("--n", s->n, "garments")->check(int_in(1, 4096))->capture_default_str();
  sub->add_option("--seed", s->seed, "noise seed")->capture_default_str();
  sub->add_option("--temperature", s->temperature, "z ~ N(0, t^2 I)")->check(real_in(0, false, 10, false))
      ->capture_default_str();
  sub->add_option("--scale", s->scale, "pixels per garment pixel")->check(int_in(1, 32))->capture_default_str();
  sub->add_option("--cols", s->cols, "garments per row")->check(int_in(1, 256))->capture_default_str();

  lw::ReconstructOptions* r = &o->reconstruct;
  sub = command(app, "reconstruct", [r] { return lw::cmd_reconstruct(*r); }, selected);
  sub->add_option("--model", r->model, "model weights blob or checkpoint")->required();
  sub->add_option("--out", r->out, "PNG grid")->required();
  add_data(sub, &r->data);
  sub->add_option("--n", r->n, "test garments")->check(int_in(1, 1024))->capture_default_str();
  sub->add_option("--scale", r->scale, "pixels per garment pixel")->check(int_in(1, 32))->capture_default_str();
  sub->add_option("--cols", r->cols, "garments per row")->check(int_in(1, 256))->capture_default_str();
  sub->add_flag("--only-reconstructions", r->only_reconstructions, "leave the dataset's own images out");
}

void add_blobs(CLI::App* app, Options* o, std::function<lw::Status()>* selected) {
  lw::ExportOptions* e = &o->exporter;
  CLI::App* sub = command(app, "export", [e] { return lw::cmd_export(*e); }, selected);
  sub->add_option("--model", e->model, "model weights blob or checkpoint")->required();
  sub->add_option("--out-dir", e->out_dir, "directory for decoder.lwb, encoder.lwb, manifest.json")->required();
  add_data(sub, &e->data);
  sub->add_option("--dtype", e->dtype, "weight storage (i8: matrices as bytes with per-row scales, biases f16)")
      ->check(CLI::IsMember({"f16", "f32", "i8"}))
      ->capture_default_str();
  sub->add_option("--decoder-dtype", e->decoder_dtype, "the decoder blob's weight storage (default: --dtype)")
      ->check(CLI::IsMember({"f16", "f32", "i8"}));
  sub->add_option("--anomaly-k", e->anomaly_k, "IWAE samples per test garment for the anomaly statistics")
      ->check(int_in(1, 10000))->capture_default_str();

  lw::IndexOptions* i = &o->index;
  sub = command(app, "index", [i] { return lw::cmd_index(*i); }, selected);
  sub->add_option("--model", i->model, "model weights blob or checkpoint")->required();
  sub->add_option("--out-dir", i->out_dir, "directory for index.lwb, garments/, manifest.json")->required();
  add_data(sub, &i->data);
  sub->add_option("--dtype", i->dtype, "mu and 1/(2 sigma^2) storage")->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  sub->add_flag("--no-pixels", i->no_pixels, "skip the garments' pixel pages");
}

void add_search(CLI::App* app, Options* o, std::function<lw::Status()>* selected) {
  lw::SearchOptions* s = &o->search;
  CLI::App* sub = command(app, "search", [s] { return lw::cmd_search(*s); }, selected);
  sub->add_option("--index", s->index, "index blob")->required();
  CLI::Option* z = sub->add_option("--z", s->z, "query, comma-separated")->delimiter(',')
                       ->check(finite_float());
  // --item and --k also have to fit the index (checked once it is loaded).
  CLI::Option* item = sub->add_option("--item", s->item, "index id whose mu is the query (< items in the index)")
                          ->check(int_in(0, INT_MAX));
  z->excludes(item);
  sub->add_option("--k", s->k, "results (<= items in the index)")->check(int_in(1, INT_MAX))->capture_default_str();
  sub->add_option("--metric", s->metric, "ranking")->check(CLI::IsMember({"likelihood", "euclidean"}))
      ->capture_default_str();
  sub->add_option("--split", s->split, "garments searched")->check(CLI::IsMember({"all", "train", "test"}))
      ->capture_default_str();
  sub->add_option("--class", s->label, "only this class (-1 = all)")->check(int_in(-1, 9));
  sub->add_flag("--json", s->json, "one JSON object on stdout");

  lw::EvalSearchOptions* e = &o->eval_search;
  sub = command(app, "eval-search", [e] { return lw::cmd_eval_search(*e); }, selected);
  sub->add_option("--index", e->index, "index blob")->required();
  sub->add_option("--limit", e->limit, "first N test items (default all; <= test items in the index)")
      ->check(int_in(1, INT_MAX));
  sub->add_flag("--json", e->json, "one JSON object on stdout");
}

void add_anomalies(CLI::App* app, lw::AnomaliesOptions* o, std::function<lw::Status()>* selected) {
  CLI::App* sub = command(app, "anomalies", [o] { return lw::cmd_anomalies(*o); }, selected);
  sub->add_option("--model", o->model, "model weights blob or checkpoint")->required();
  sub->add_option("--out", o->out, "PNG grid")->required();
  add_data(sub, &o->data);
  sub->add_option("--top", o->top, "garments shown")->check(int_in(1, 10000))->capture_default_str();
  sub->add_option("--k", o->k, "IWAE samples per garment")->check(int_in(1, 10000))->capture_default_str();
  sub->add_option("--split", o->split, "garments scored")->check(CLI::IsMember({"test", "train"}))
      ->capture_default_str();
  sub->add_option("--cols", o->cols, "garments per row")->check(int_in(1, 100))->capture_default_str();
  sub->add_option("--scale", o->scale, "pixels per garment pixel")->check(int_in(1, 16))->capture_default_str();
  sub->add_flag("--json", o->json, "one JSON object on stdout");
}

const char* usage_of(const std::string& name) {
  for (const Usage& u : kUsage) {
    if (name == u.name) return u.text;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_help();
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  if (usage_of(name) == nullptr) {
    std::fprintf(stderr, "wardrobe: unknown command '%s' (try wardrobe --help)\n", argv[1]);
    return 2;
  }
  Options options;
  std::function<lw::Status()> selected;
  CLI::App app("wardrobe", "wardrobe");
  app.require_subcommand(1);
  add_train(&app, &options.train, &selected);
  add_eval(&app, &options.eval, &selected);
  add_images(&app, &options, &selected);
  add_blobs(&app, &options, &selected);
  add_search(&app, &options, &selected);
  add_anomalies(&app, &options.anomalies, &selected);
  options.train.command = "wardrobe";
  for (int i = 1; i < argc; ++i) options.train.command += std::string(" ") + argv[i];
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf("usage: wardrobe %s\n\n%s", usage_of(name), app.get_subcommand(name)->help("", CLI::AppFormatMode::Sub).c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "wardrobe %s: error: %s\n", name.c_str(), e.what());
    return 1;
  }
  const lw::Status status = selected();
  if (!status.ok()) {
    std::fprintf(stderr, "wardrobe %s: error: %s\n", name.c_str(), status.message().c_str());
    return 1;
  }
  return 0;
}

// wardrobe search / eval-search: likelihood search over the latent index and
// its retrieval evaluation against the Euclidean baseline.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/runtime/index_io.h"
#include "model/native/dataset.h"
#include "model/native/file_io.h"
#include "model/runtime/rng.h"
#include "tools/commands.h"
#include "tools/json.h"

namespace lw {
namespace {

Status load_index(const std::string& path, LatentIndex* index, IndexExtras* extras) {
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(read_file(path, &bytes));
  return read_index_blob(bytes.data(), bytes.size(), index, extras).with_context(path);
}

const char* metric_name(Metric m) { return m == Metric::kLikelihood ? "likelihood" : "euclidean"; }

}  // namespace

Status cmd_search(const SearchOptions& o) {
  if (o.z.empty() == (o.item < 0)) return Status::Error("give exactly one of --z and --item");
  const Metric metric = o.metric == "euclidean" ? Metric::kEuclidean : Metric::kLikelihood;
  SearchFilter filter;
  filter.split = o.split == "train" ? 0 : o.split == "test" ? 1 : -1;
  filter.label = o.label;
  LatentIndex index;
  IndexExtras extras;
  LW_RETURN_IF_ERROR(load_index(o.index, &index, &extras));
  const int k = o.k;
  if (k > index.n) {
    return Status::Error("--k must be an integer in [1, " + std::to_string(index.n) + "], got '" + std::to_string(k) + "'");
  }
  std::vector<float> z = o.z;
  if (z.empty()) {
    if (o.item >= index.n) {
      return Status::Error("--item must be an integer in [0, " + std::to_string(index.n - 1) + "], got '" +
                           std::to_string(o.item) + "'");
    }
    z.resize(static_cast<size_t>(index.d));
    index.mu_of(o.item, z.data());
  }
  std::vector<SearchHit> hits;
  LW_RETURN_IF_ERROR(search(index, z.data(), static_cast<int>(z.size()), k, metric, filter, &hits));
  if (o.json) {
    Json j;
    j["metric"] = metric_name(metric);
    j["k"] = k;
    j["z"] = Json::array();
    for (float v : z) j["z"].push_back(json_number(v, 7));
    j["results"] = Json::array();
    for (const SearchHit& hit : hits) {
      const size_t id = static_cast<size_t>(hit.id);
      j["results"].push_back({{"id", hit.id},
                              {"label", index.label[id]},
                              {"class", kClassNames[index.label[id]]},
                              {"split", index.split[id] ? "test" : "train"},
                              {"score", json_number(hit.score, 7)}});
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%-4s %-6s %-12s %-6s %s\n", "rank", "id", "class", "split",
                metric == Metric::kLikelihood ? "log q(z|x)" : "distance");
    for (size_t i = 0; i < hits.size(); ++i) {
      const size_t id = static_cast<size_t>(hits[i].id);
      std::printf("%-4zu %-6d %-12s %-6s %.4f\n", i + 1, hits[i].id, kClassNames[index.label[id]],
                  index.split[id] ? "test" : "train", hits[i].score);
    }
  }
  return Status::Ok();
}

namespace {

struct RetrievalStats {
  double self_retrieval = 0;   // fraction of test items ranked first for z = mu(x)
  double class_agreement = 0;  // top-10 (excluding x) label agreement for z ~ q(z|x)
  double knn1 = 0;             // 1-NN accuracy of test items against the training split
  double knn5 = 0;             // 5-NN majority-vote accuracy (ties: nearest wins)
};

RetrievalStats evaluate_retrieval(const LatentIndex& index, Metric metric, int limit, int first_test) {
  const int n_test = std::min(limit, index.n - first_test);
  long self_hits = 0, knn1 = 0, knn5 = 0;
  double agreement = 0;
#pragma omp parallel reduction(+ : self_hits, knn1, knn5, agreement)
  {
    SearchWorkspace ws;
    std::vector<float> mu(static_cast<size_t>(index.d)), sigma(static_cast<size_t>(index.d)),
        z(static_cast<size_t>(index.d));
#pragma omp for schedule(static)
    for (int t = 0; t < n_test; ++t) {
      const int id = first_test + t;
      const int label = index.label[static_cast<size_t>(id)];
      index.mu_of(id, mu.data());
      index.sigma_of(id, sigma.data());
      if (search(index, mu.data(), index.d, 1, metric, SearchFilter{}, &ws).ok() && ws.hits[0].id == id) ++self_hits;
      Rng rng(static_cast<uint64_t>(id) * 7919 + 1);
      for (int k = 0; k < index.d; ++k) z[static_cast<size_t>(k)] = mu[static_cast<size_t>(k)] + sigma[static_cast<size_t>(k)] * static_cast<float>(rng.normal());
      if (search(index, z.data(), index.d, 11, metric, SearchFilter{}, &ws).ok()) {
        int same = 0, counted = 0;
        for (const SearchHit& h : ws.hits) {
          if (h.id == id || counted == 10) continue;
          ++counted;
          same += index.label[static_cast<size_t>(h.id)] == label;
        }
        agreement += same / 10.0;
      }
      SearchFilter train_only;
      train_only.split = 0;
      if (search(index, mu.data(), index.d, 5, metric, train_only, &ws).ok()) {
        knn1 += index.label[static_cast<size_t>(ws.hits[0].id)] == label;
        int votes[kNumLabels] = {};
        for (const SearchHit& h : ws.hits) ++votes[index.label[static_cast<size_t>(h.id)]];
        int best = index.label[static_cast<size_t>(ws.hits[0].id)];
        for (int c = 0; c < kNumLabels; ++c) {
          if (votes[c] > votes[best]) best = c;
        }
        knn5 += best == label;
      }
    }
  }
  RetrievalStats r;
  r.self_retrieval = static_cast<double>(self_hits) / n_test;
  r.class_agreement = agreement / n_test;
  r.knn1 = static_cast<double>(knn1) / n_test;
  r.knn5 = static_cast<double>(knn5) / n_test;
  return r;
}

Json retrieval_json(const RetrievalStats& r) {
  return {{"self_retrieval", json_number(r.self_retrieval)},
          {"class_agreement_top10", json_number(r.class_agreement)},
          {"knn1_accuracy", json_number(r.knn1)},
          {"knn5_accuracy", json_number(r.knn5)}};
}

}  // namespace

Status cmd_eval_search(const EvalSearchOptions& o) {
  LatentIndex index;
  IndexExtras extras;
  LW_RETURN_IF_ERROR(load_index(o.index, &index, &extras));
  int first_test = index.n;
  for (int i = 0; i < index.n; ++i) {
    if (index.split[static_cast<size_t>(i)] == 1) {
      first_test = i;
      break;
    }
  }
  if (first_test == index.n) return Status::Error("index has no test items");
  const int n_test = index.n - first_test;
  if (o.limit > n_test) {
    return Status::Error("--limit must be an integer in [1, " + std::to_string(n_test) + "], got '" +
                         std::to_string(o.limit) + "'");
  }
  const int limit = o.limit > 0 ? o.limit : n_test;
  const RetrievalStats like = evaluate_retrieval(index, Metric::kLikelihood, limit, first_test);
  const RetrievalStats eucl = evaluate_retrieval(index, Metric::kEuclidean, limit, first_test);
  if (o.json) {
    const Json j = {{"test_items", limit}, {"likelihood", retrieval_json(like)}, {"euclidean", retrieval_json(eucl)}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%d test garments            likelihood  euclidean\n", limit);
    std::printf("  self-retrieval (rank 1)   %9.4f  %9.4f\n", like.self_retrieval, eucl.self_retrieval);
    std::printf("  class agreement (top-10)  %9.4f  %9.4f\n", like.class_agreement, eucl.class_agreement);
    std::printf("  1-NN accuracy             %9.4f  %9.4f\n", like.knn1, eucl.knn1);
    std::printf("  5-NN accuracy             %9.4f  %9.4f\n", like.knn5, eucl.knn5);
  }
  return Status::Ok();
}

}  // namespace lw

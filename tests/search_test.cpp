// Latent search: SIMD and scalar kernels against a brute-force reference that
// evaluates log q(z|x) / the distance in double from the raw (row-major)
// inputs and fully sorts every candidate, ties broken by id.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "model/runtime/search.h"

namespace {

using lw::AlignedFloats;
using lw::LatentIndex;
using lw::Metric;
using lw::SearchFilter;
using lw::SearchHit;
using lw::SearchKernel;
using lw::SearchWorkspace;

// Raw row-major inputs, kept to evaluate the reference.
struct RawItems {
  int n = 0, d = 0;
  std::vector<float> mu, sigma;  // [n x d] row-major
  std::vector<uint8_t> label, split;  // [n]
};

// Random items; about a fifth are exact copies of an earlier item (ties).
RawItems make_items(int n, int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> umu(-3.0f, 3.0f), ulog(std::log(0.05f), std::log(2.0f));
  std::uniform_int_distribution<int> ulabel(0, 9), usplit(0, 1), ucoin(0, 4);
  RawItems r;
  r.n = n;
  r.d = d;
  r.mu.resize(static_cast<size_t>(n) * d);
  r.sigma.resize(r.mu.size());
  r.label.resize(n);
  r.split.resize(n);
  for (int i = 0; i < n; ++i) {
    const bool dup = i > 0 && ucoin(rng) == 0;
    const int src = dup ? std::uniform_int_distribution<int>(0, i - 1)(rng) : i;
    for (int k = 0; k < d; ++k) {
      const size_t o = static_cast<size_t>(i) * d + k;
      const size_t so = static_cast<size_t>(src) * d + k;
      r.mu[o] = dup ? r.mu[so] : umu(rng);
      r.sigma[o] = dup ? r.sigma[so] : std::exp(ulog(rng));
    }
    r.label[i] = static_cast<uint8_t>(dup ? r.label[src] : ulabel(rng));
    r.split[i] = static_cast<uint8_t>(usplit(rng));
  }
  return r;
}

LatentIndex build_index(const RawItems& r) {
  LatentIndex ix;
  const lw::Status st = ix.build(r.mu.data(), r.sigma.data(), r.n, r.d, r.label.data(), r.split.data());
  REQUIRE(st.ok());
  return ix;
}

bool passes(const RawItems& r, int i, SearchFilter f) {
  return (f.split < 0 || r.split[i] == f.split) && (f.label < 0 || r.label[i] == f.label);
}

struct RefScore {
  double score;  // log q(z|x) or distance
  double tol;    // 1e-5 relative to the magnitude of the summed terms
};

RefScore reference_score(const RawItems& r, int i, const std::vector<float>& z, Metric metric) {
  const double half_log_2pi = 0.5 * std::log(2.0 * 3.14159265358979323846);
  double s = 0.0, mag = 0.0;
  for (int k = 0; k < r.d; ++k) {
    const size_t o = static_cast<size_t>(i) * r.d + k;
    const double diff = static_cast<double>(z[k]) - r.mu[o];
    if (metric == Metric::kLikelihood) {
      const double sig = r.sigma[o];
      const double quad = diff * diff / (2.0 * sig * sig);
      const double norm = half_log_2pi + std::log(sig);
      s += -quad - norm;
      mag += quad + std::fabs(norm);
    } else {
      s += diff * diff;
    }
  }
  if (metric == Metric::kEuclidean) {
    s = std::sqrt(s);
    mag = s;
  }
  return {s, 1e-5 * mag + 1e-6};
}

struct RefHit {
  int id;
  RefScore s;
};

// Every candidate, fully sorted best first, ties by id.
std::vector<RefHit> reference_search(const RawItems& r, const std::vector<float>& z, Metric metric,
                                     SearchFilter f) {
  std::vector<RefHit> all;
  for (int i = 0; i < r.n; ++i) {
    if (passes(r, i, f)) all.push_back({i, reference_score(r, i, z, metric)});
  }
  const bool desc = metric == Metric::kLikelihood;
  std::sort(all.begin(), all.end(), [desc](const RefHit& a, const RefHit& b) {
    if (a.s.score != b.s.score) return desc ? a.s.score > b.s.score : a.s.score < b.s.score;
    return a.id < b.id;
  });
  return all;
}

// hits must match the reference: same scores position by position (within
// tolerance), same ids except where a different item is within tolerance of
// the same score (a near-tie float cannot resolve like double), all distinct
// and passing the filter, ordered with exact ties by ascending id.
void check_against_reference(const RawItems& r, const std::vector<float>& z, int k, Metric metric,
                             SearchFilter f, const std::vector<SearchHit>& hits) {
  const std::vector<RefHit> ref = reference_search(r, z, metric, f);
  REQUIRE(static_cast<int>(hits.size()) == k);
  REQUIRE(static_cast<int>(ref.size()) >= k);
  std::vector<char> seen(r.n, 0);
  for (int j = 0; j < k; ++j) {
    const SearchHit& h = hits[j];
    INFO("position " << j << " id " << h.id << " score " << h.score << " ref id " << ref[j].id
                     << " ref score " << ref[j].s.score);
    REQUIRE(h.id >= 0);
    REQUIRE(h.id < r.n);
    REQUIRE_FALSE(seen[h.id]);
    seen[h.id] = 1;
    REQUIRE(passes(r, h.id, f));
    const RefScore own = reference_score(r, h.id, z, metric);
    REQUIRE(std::fabs(h.score - own.score) <= own.tol);
    REQUIRE(std::fabs(h.score - ref[j].s.score) <= std::max(own.tol, ref[j].s.tol));
    if (j > 0) {
      const SearchHit& p = hits[j - 1];
      const bool ordered = metric == Metric::kLikelihood ? p.score >= h.score : p.score <= h.score;
      REQUIRE(ordered);
      if (p.score == h.score) REQUIRE(p.id < h.id);
    }
    bool near_tie = false;
    for (const RefHit& o : ref) {
      if (o.s.score != ref[j].s.score && std::fabs(o.s.score - ref[j].s.score) <= 2 * ref[j].s.tol) {
        near_tie = true;
        break;
      }
    }
    if (!near_tie) REQUIRE(h.id == ref[j].id);
  }
}

std::vector<float> random_query(const RawItems& r, std::mt19937* rng, int mode) {
  std::vector<float> z(r.d);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::uniform_real_distribution<float> uz(-4.0f, 4.0f);
  const int src = std::uniform_int_distribution<int>(0, r.n - 1)(*rng);
  for (int k = 0; k < r.d; ++k) {
    const float m = r.mu[static_cast<size_t>(src) * r.d + k];
    z[k] = mode == 0 ? uz(*rng) : mode == 1 ? m + noise(*rng) : m;  // random, near, exactly at an item
  }
  return z;
}

std::vector<SearchHit> run(const LatentIndex& ix, const std::vector<float>& z, int k, Metric metric,
                           SearchFilter f, SearchKernel kernel) {
  SearchWorkspace ws;
  const lw::Status st = lw::search(ix, z.data(), static_cast<int>(z.size()), k, metric, f, &ws, kernel);
  INFO(st.message());
  REQUIRE(st.ok());
  return ws.hits;
}

}  // namespace

TEST_CASE("search matches brute force across sizes, metrics, filters, kernels", "[search]") {
  const int sizes[][2] = {{1, 1},  {3, 1},   {4, 16},  {5, 3},   {15, 4},   {16, 16}, {17, 5},
                          {33, 2}, {100, 7}, {257, 16}, {1000, 17}, {3001, 16}, {5003, 1}};
  const SearchFilter filters[] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 3}, {1, 7}};
  const Metric metrics[] = {Metric::kLikelihood, Metric::kEuclidean};
  uint32_t seed = 1;
  for (const auto& nd : sizes) {
    const RawItems r = make_items(nd[0], nd[1], seed++);
    const LatentIndex ix = build_index(r);
    std::mt19937 rng(seed * 7919u);
    for (int q = 0; q < 6; ++q) {
      const std::vector<float> z = random_query(r, &rng, q % 3);
      for (const SearchFilter& f : filters) {
        const int cand = lw::count_candidates(ix, f);
        int expect_cand = 0;
        for (int i = 0; i < r.n; ++i) expect_cand += passes(r, i, f);
        REQUIRE(cand == expect_cand);
        if (cand == 0) continue;
        for (Metric metric : metrics) {
          for (int k : {1, std::min(10, cand), cand}) {
            INFO("n " << r.n << " d " << r.d << " query " << q << " split " << f.split << " label " << f.label
                      << " k " << k << " metric " << static_cast<int>(metric));
            const std::vector<SearchHit> simd = run(ix, z, k, metric, f, SearchKernel::kSimd);
            const std::vector<SearchHit> scalar = run(ix, z, k, metric, f, SearchKernel::kScalar);
            check_against_reference(r, z, k, metric, f, simd);
            // Same arithmetic per item in both kernels: identical results.
            REQUIRE(scalar.size() == simd.size());
            for (size_t j = 0; j < simd.size(); ++j) {
              REQUIRE(scalar[j].id == simd[j].id);
              REQUIRE(scalar[j].score == simd[j].score);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("search breaks exact ties by ascending id", "[search]") {
  // Items 0..39: eight copies each of five distinct points, interleaved so
  // copies land in different lanes and blocks.
  const int d = 5, n = 40;
  RawItems r;
  r.n = n;
  r.d = d;
  for (int i = 0; i < n; ++i) {
    const int p = i % 5;
    for (int k = 0; k < d; ++k) {
      r.mu.push_back(0.5f * p + 0.1f * k);
      r.sigma.push_back(0.3f + 0.1f * p);
    }
    r.label.push_back(static_cast<uint8_t>(p));
    r.split.push_back(static_cast<uint8_t>(i % 2));
  }
  const LatentIndex ix = build_index(r);
  std::vector<float> z(r.mu.begin() + 2 * d, r.mu.begin() + 3 * d);  // exactly at point 2
  for (Metric metric : {Metric::kLikelihood, Metric::kEuclidean}) {
    for (SearchKernel kernel : {SearchKernel::kSimd, SearchKernel::kScalar}) {
      const std::vector<SearchHit> hits = run(ix, z, 12, metric, {}, kernel);
      check_against_reference(r, z, 12, metric, {}, hits);
      // The 8 copies of point 2 come first, in id order; then the next group.
      for (int j = 0; j < 8; ++j) REQUIRE(hits[j].id == 2 + 5 * j);
      for (int j = 1; j < 8; ++j) REQUIRE(hits[j].score == hits[0].score);
      if (metric == Metric::kEuclidean) REQUIRE(hits[0].score == 0.0f);
      for (int j = 9; j < 12; ++j) REQUIRE(hits[j].id > hits[j - 1].id);
      REQUIRE(hits[8].score == hits[11].score);
    }
  }
}

TEST_CASE("index built from log-variance equals the one built from sigma", "[search]") {
  const RawItems r = make_items(70, 6, 99);
  std::vector<float> logvar(r.sigma.size());
  for (size_t i = 0; i < logvar.size(); ++i) logvar[i] = 2.0f * std::log(r.sigma[i]);
  LatentIndex ix;
  REQUIRE(ix.build(r.mu.data(), logvar.data(), r.n, r.d, r.label.data(), r.split.data(), lw::Spread::kLogVar)
              .ok());
  std::mt19937 rng(5);
  for (int q = 0; q < 5; ++q) {
    const std::vector<float> z = random_query(r, &rng, q % 3);
    check_against_reference(r, z, 10, Metric::kLikelihood, {}, run(ix, z, 10, Metric::kLikelihood, {},
                                                                     SearchKernel::kSimd));
  }
  std::vector<float> sig(r.d);
  REQUIRE(ix.sigma_of(3, sig.data()) == sig.data());
  for (int k = 0; k < r.d; ++k) REQUIRE(sig[k] == Approx(r.sigma[3 * r.d + k]).epsilon(1e-6));
}

TEST_CASE("mu_of and sigma_of give back the row-major inputs", "[search]") {
  const RawItems r = make_items(37, 3, 4);
  const LatentIndex ix = build_index(r);
  std::vector<float> out(r.d);
  for (int i = 0; i < r.n; ++i) {
    REQUIRE(ix.mu_of(i, out.data()) == out.data());
    for (int k = 0; k < r.d; ++k) REQUIRE(out[k] == r.mu[static_cast<size_t>(i) * r.d + k]);
    REQUIRE(ix.sigma_of(i, out.data()) == out.data());
    for (int k = 0; k < r.d; ++k) REQUIRE(out[k] == Approx(r.sigma[static_cast<size_t>(i) * r.d + k]).epsilon(1e-6));
  }
  REQUIRE(ix.mu_of(-1, out.data()) == nullptr);
  REQUIRE(ix.mu_of(r.n, out.data()) == nullptr);
  REQUIRE(ix.sigma_of(r.n, out.data()) == nullptr);
  REQUIRE(ix.padded_n() == 48);
  REQUIRE(ix.mu_soa.size() == 48u * 3u);
}

TEST_CASE("search validates the query, k and the filter", "[search]") {
  const RawItems r = make_items(50, 16, 11);
  const LatentIndex ix = build_index(r);
  SearchWorkspace ws;
  std::vector<float> z(16, 0.5f);
  auto err = [&](const std::vector<float>& q, int k, SearchFilter f, Metric m = Metric::kLikelihood) {
    const lw::Status st = lw::search(ix, q.data(), static_cast<int>(q.size()), k, m, f, &ws);
    REQUIRE_FALSE(st.ok());
    REQUIRE(ws.hits.empty());
    return st.message();
  };
  REQUIRE(err(std::vector<float>(15, 0.0f), 5, {}) == "query has 15 values, the index has 16 latent dimensions");
  REQUIRE(err(std::vector<float>(17, 0.0f), 5, {}) == "query has 17 values, the index has 16 latent dimensions");
  std::vector<float> bad = z;
  bad[3] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE(err(bad, 5, {}) == "query value 3 is NaN");
  bad[3] = -std::numeric_limits<float>::infinity();
  REQUIRE(err(bad, 5, {}) == "query value 3 is infinite");
  REQUIRE(err(z, 0, {}) == "search: k = 0 must be at least 1");
  REQUIRE(err(z, -2, {}) == "search: k = -2 must be at least 1");
  REQUIRE(err(z, 51, {}) == "search: k = 51 exceeds the 50 items matching the filter (split all, label all)");
  SearchFilter f{1, 2};
  const int cand = lw::count_candidates(ix, f);
  REQUIRE(err(z, cand + 1, f) == "search: k = " + std::to_string(cand + 1) + " exceeds the " +
                                     std::to_string(cand) + " items matching the filter (split test, label 2)");
  REQUIRE(err(z, 1, {2, -1}).find("filter split 2") != std::string::npos);
  REQUIRE(err(z, 1, {-1, 10}).find("filter label 10") != std::string::npos);
  REQUIRE(err(z, 1, {}, static_cast<Metric>(7)).find("unknown metric 7") != std::string::npos);
  REQUIRE(lw::search(ix, nullptr, 16, 1, Metric::kLikelihood, {}, &ws).message() == "search: query is null");
  REQUIRE_FALSE(lw::search(ix, z.data(), 16, 1, Metric::kLikelihood, {}, static_cast<SearchWorkspace*>(nullptr)).ok());
  REQUIRE_FALSE(lw::search(ix, z.data(), 16, 1, Metric::kLikelihood, {}, static_cast<std::vector<SearchHit>*>(nullptr)).ok());
  // The boundary values are accepted.
  REQUIRE(lw::search(ix, z.data(), 16, 50, Metric::kEuclidean, {}, &ws).ok());
  REQUIRE(ws.hits.size() == 50u);
  if (cand > 0) REQUIRE(lw::search(ix, z.data(), 16, cand, Metric::kLikelihood, f, &ws).ok());

  const LatentIndex empty;
  REQUIRE(lw::search(empty, z.data(), 16, 1, Metric::kLikelihood, {}, &ws).message() ==
          "search: the index is empty");
}

TEST_CASE("LatentIndex::build rejects bad input and stays empty", "[search]") {
  RawItems r = make_items(20, 4, 3);
  auto build_err = [](const RawItems& q, lw::Spread kind = lw::Spread::kSigma) {
    LatentIndex ix;
    const lw::Status st = ix.build(q.mu.data(), q.sigma.data(), q.n, q.d, q.label.data(), q.split.data(), kind);
    REQUIRE_FALSE(st.ok());
    REQUIRE(ix.n == 0);
    REQUIRE(ix.mu_soa.empty());
    return st.message();
  };
  {
    RawItems q = r;
    q.sigma[5 * 4 + 2] = 0.0f;
    REQUIRE(build_err(q).find("item 5 dim 2: sigma 0 is outside [1e-09, 1e+09]") != std::string::npos);
    q.sigma[5 * 4 + 2] = -1.0f;
    REQUIRE(build_err(q).find("sigma -1 is outside") != std::string::npos);
    q.sigma[5 * 4 + 2] = 1e-30f;  // 1/(2 sigma^2) would overflow float
    REQUIRE(build_err(q).find("sigma 1e-30 is outside") != std::string::npos);
    q.sigma[5 * 4 + 2] = std::numeric_limits<float>::infinity();
    REQUIRE(build_err(q).find("not finite") != std::string::npos);
    q.sigma[5 * 4 + 2] = 200.0f;  // log-variance 200: sigma = e^100
    REQUIRE(build_err(q, lw::Spread::kLogVar).find("sigma 2.68812e+43 is outside") != std::string::npos);
  }
  {
    RawItems q = r;
    q.mu[7] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE(build_err(q).find("item 1 dim 3: mu is not finite") != std::string::npos);
  }
  {
    RawItems q = r;
    q.label[19] = 10;
    REQUIRE(build_err(q).find("item 19: label 10") != std::string::npos);
  }
  {
    RawItems q = r;
    q.split[0] = 2;
    REQUIRE(build_err(q).find("item 0: split 2") != std::string::npos);
  }
  {
    RawItems q = r;
    q.n = 0;
    REQUIRE(build_err(q).find("at least 1 item") != std::string::npos);
    q = r;
    q.d = 0;
    REQUIRE(build_err(q).find("at least 1 dimension") != std::string::npos);
  }
  LatentIndex ix;
  REQUIRE_FALSE(ix.build(nullptr, r.sigma.data(), r.n, r.d, r.label.data(), r.split.data()).ok());
  // A failed rebuild empties an index that was valid before.
  REQUIRE(ix.build(r.mu.data(), r.sigma.data(), r.n, r.d, r.label.data(), r.split.data()).ok());
  r.sigma[0] = 0.0f;
  REQUIRE_FALSE(ix.build(r.mu.data(), r.sigma.data(), r.n, r.d, r.label.data(), r.split.data()).ok());
  REQUIRE(ix.n == 0);
}

TEST_CASE("search reuses the workspace without reallocating", "[search]") {
  const RawItems r = make_items(300, 16, 21);
  const LatentIndex ix = build_index(r);
  SearchWorkspace ws;
  std::mt19937 rng(8);
  std::vector<float> z = random_query(r, &rng, 1);
  REQUIRE(lw::search(ix, z.data(), 16, 10, Metric::kLikelihood, {}, &ws).ok());
  const SearchHit* data = ws.hits.data();
  for (int q = 0; q < 20; ++q) {
    z = random_query(r, &rng, q % 3);
    REQUIRE(lw::search(ix, z.data(), 16, 10, q % 2 ? Metric::kEuclidean : Metric::kLikelihood, {}, &ws).ok());
    REQUIRE(ws.hits.data() == data);
    REQUIRE(ws.hits.size() == 10u);
  }
  // The allocating form gives the same answer.
  std::vector<SearchHit> out;
  REQUIRE(lw::search(ix, z.data(), 16, 10, Metric::kEuclidean, {}, &out).ok());
  REQUIRE(out.size() == 10u);
  for (size_t j = 0; j < out.size(); ++j) REQUIRE(out[j].id == ws.hits[j].id);
}

TEST_CASE("adopt_soa takes blocked arrays and gives the same search", "[search]") {
  const RawItems r = make_items(45, 5, 31);
  const LatentIndex built = build_index(r);
  LatentIndex ix;
  REQUIRE(ix.adopt_soa(built.mu_soa.data(), built.inv2var_soa.data(), r.n, r.d, r.label.data(), r.split.data())
              .ok());
  REQUIRE(ix.mu_soa == built.mu_soa);
  REQUIRE(ix.inv2var_soa == built.inv2var_soa);
  REQUIRE(ix.label_bits == built.label_bits);
  REQUIRE(ix.split_bits == built.split_bits);
  for (int i = 0; i < r.n; ++i) REQUIRE(ix.lognorm[i] == Approx(built.lognorm[i]).epsilon(1e-6).margin(1e-5));
  std::mt19937 rng(2);
  for (int q = 0; q < 6; ++q) {
    const std::vector<float> z = random_query(r, &rng, q % 3);
    for (Metric metric : {Metric::kLikelihood, Metric::kEuclidean}) {
      check_against_reference(r, z, 8, metric, {}, run(ix, z, 8, metric, {}, SearchKernel::kSimd));
    }
  }
  // Garbage in the padding is replaced, not searched.
  AlignedFloats mu = built.mu_soa, w = built.inv2var_soa;
  const size_t pad = built.offset(r.n, 0);  // item 45 is padding
  mu[pad] = std::numeric_limits<float>::quiet_NaN();
  w[pad] = 0.0f;
  REQUIRE(ix.adopt_soa(mu.data(), w.data(), r.n, r.d, r.label.data(), r.split.data()).ok());
  REQUIRE(ix.mu_soa == built.mu_soa);
  // Bad weights and mu are rejected with the item named.
  w = built.inv2var_soa;
  w[built.offset(7, 2)] = 0.0f;
  lw::Status st = ix.adopt_soa(built.mu_soa.data(), w.data(), r.n, r.d, r.label.data(), r.split.data());
  REQUIRE(st.message().find("item 7 dim 2") != std::string::npos);
  REQUIRE(ix.n == 0);
  w[built.offset(7, 2)] = std::numeric_limits<float>::infinity();
  REQUIRE_FALSE(ix.adopt_soa(built.mu_soa.data(), w.data(), r.n, r.d, r.label.data(), r.split.data()).ok());
  mu = built.mu_soa;
  mu[built.offset(44, 4)] = std::numeric_limits<float>::infinity();
  st = ix.adopt_soa(mu.data(), built.inv2var_soa.data(), r.n, r.d, r.label.data(), r.split.data());
  REQUIRE(st.message().find("item 44 dim 4: mu is not finite") != std::string::npos);
}

TEST_CASE("Euclidean ties are judged on the reported distance", "[search]") {
  // Squared distances 4 + 2^-21 and 4 differ, but both distances round to
  // 2.0f: the lower id must come first, whichever has the smaller square.
  const float e = 0.0006f;
  const volatile float sq = 2.0f * 2.0f + e * e;  // volatile: evaluate in float at run time
  REQUIRE(sq != 4.0f);
  REQUIRE(std::sqrt(static_cast<float>(sq)) == 2.0f);
  for (int swap = 0; swap < 2; ++swap) {
    // Item 0 and item 17 (second block) at distance 2; the others farther.
    RawItems r;
    r.n = 20;
    r.d = 2;
    for (int i = 0; i < r.n; ++i) {
      const bool near = i == 0 || i == 17;
      const bool with_e = (i == 0) != (swap == 1);
      r.mu.push_back(near ? 2.0f : 3.0f + i);
      r.mu.push_back(near && with_e ? e : 0.0f);
      r.sigma.push_back(1.0f);
      r.sigma.push_back(1.0f);
      r.label.push_back(0);
      r.split.push_back(0);
    }
    const LatentIndex ix = build_index(r);
    const std::vector<float> z = {0.0f, 0.0f};
    for (SearchKernel kernel : {SearchKernel::kSimd, SearchKernel::kScalar}) {
      INFO("swap " << swap << " kernel " << static_cast<int>(kernel));
      const std::vector<SearchHit> top1 = run(ix, z, 1, Metric::kEuclidean, {}, kernel);
      REQUIRE(top1[0].id == 0);
      REQUIRE(top1[0].score == 2.0f);
      const std::vector<SearchHit> top3 = run(ix, z, 3, Metric::kEuclidean, {}, kernel);
      REQUIRE(top3[0].id == 0);
      REQUIRE(top3[1].id == 17);
      REQUIRE(top3[1].score == 2.0f);
      REQUIRE(top3[2].id == 1);
      REQUIRE(top3[2].score == 4.0f);
    }
  }
}

// Issue 11, part 6: the latent domain (model/search.h). Inside it every score
// is finite and the ranking is the double-precision one (up to float
// rounding of near-ties), whatever the extremes: |z| and |mu| at 1e4, sigma
// at 1e-9 and 1e9, mixed. Before the domain existed, z = 1e19 or sigma = 1e-19
// overflowed the kernel's sum to inf, every key became -inf and the "ranking"
// was by id.
TEST_CASE("search at the edges of the latent domain is finite and ranks like double", "[search][extremes]") {
  const float zmax = lw::kMaxLatentAbs;
  struct Variant {
    const char* name;
    float mu_scale;     // mu = u * mu_scale, u in [-3, 3] (then clamped to the domain)
    float sigma_small;  // every third item gets sigma * this (0: unchanged)
    float sigma_large;  // every third item (another) gets sigma * this
  };
  const Variant variants[] = {
      {"mu at +-1e4", zmax / 3.0f, 0.0f, 0.0f},
      {"tiny sigma (1e-9 scale)", 1.0f, 2e-8f, 0.0f},
      {"huge sigma (1e9 scale)", 1.0f, 0.0f, 4.9e8f},
      {"mu at +-1e4 with tiny and huge sigma", zmax / 3.0f, 2e-8f, 4.9e8f},
  };
  for (const Variant& v : variants) {
    RawItems r = make_items(150, 16, 99);
    for (int i = 0; i < r.n; ++i) {
      for (int k = 0; k < r.d; ++k) {
        const size_t o = static_cast<size_t>(i) * r.d + k;
        r.mu[o] = std::max(-zmax, std::min(zmax, r.mu[o] * v.mu_scale));
        if (v.sigma_small > 0 && i % 3 == 0) r.sigma[o] = std::max(1.0001e-9f, r.sigma[o] * v.sigma_small);
        if (v.sigma_large > 0 && i % 3 == 1) r.sigma[o] = std::min(0.9999e9f, r.sigma[o] * v.sigma_large);
      }
    }
    const LatentIndex ix = build_index(r);
    std::vector<std::vector<float>> queries = {std::vector<float>(16, zmax), std::vector<float>(16, -zmax),
                                               std::vector<float>(16, 0.0f)};
    std::vector<float> alternating(16);
    for (int k = 0; k < 16; ++k) alternating[k] = k % 2 ? zmax : -zmax;
    queries.push_back(alternating);
    queries.push_back(std::vector<float>(r.mu.begin() + 16 * 7, r.mu.begin() + 16 * 8));  // an item's own mu
    for (const std::vector<float>& z : queries) {
      for (Metric metric : {Metric::kLikelihood, Metric::kEuclidean}) {
        for (SearchKernel kernel : {SearchKernel::kSimd, SearchKernel::kScalar}) {
          INFO(v.name << ", z[0] = " << z[0] << ", metric " << static_cast<int>(metric));
          const std::vector<SearchHit> hits = run(ix, z, 10, metric, {}, kernel);
          for (const SearchHit& h : hits) REQUIRE(std::isfinite(h.score));
          check_against_reference(r, z, 10, metric, {}, hits);
        }
      }
    }
  }
}

TEST_CASE("values beyond the latent domain are refused with the value named", "[search][extremes]") {
  RawItems r = make_items(20, 4, 5);
  const LatentIndex ix = build_index(r);
  SearchWorkspace ws;
  std::vector<float> z(4, 0.0f);
  z[3] = 15000.0f;
  CHECK(lw::search(ix, z.data(), 4, 3, Metric::kLikelihood, {}, &ws).message() ==
        "query value 3 is 15000, outside the latent domain +-10000");
  z[3] = -1e30f;
  CHECK(lw::search(ix, z.data(), 4, 3, Metric::kEuclidean, {}, &ws).message() ==
        "query value 3 is -1e+30, outside the latent domain +-10000");
  z[3] = -lw::kMaxLatentAbs;  // the edge itself is inside
  CHECK(lw::search(ix, z.data(), 4, 3, Metric::kEuclidean, {}, &ws).ok());

  auto build_err = [](RawItems q) {
    LatentIndex bad;
    const lw::Status st = bad.build(q.mu.data(), q.sigma.data(), q.n, q.d, q.label.data(), q.split.data());
    REQUIRE(bad.n == 0);
    return st.message();
  };
  RawItems q = r;
  q.mu[2 * 4 + 1] = 20000.0f;
  CHECK(build_err(q) == "latent index: item 2 dim 1: mu 20000 is outside the latent domain +-10000");
  q = r;
  q.sigma[3 * 4] = 5e-10f;
  CHECK(build_err(q) == "latent index: item 3 dim 0: sigma 5e-10 is outside [1e-09, 1e+09]");
  q.sigma[3 * 4] = 2e9f;
  CHECK(build_err(q) == "latent index: item 3 dim 0: sigma 2e+09 is outside [1e-09, 1e+09]");
  // An index blob cannot smuggle them in either: adopt_soa checks the same domain.
  AlignedFloats w = ix.inv2var_soa;
  w[ix.offset(4, 2)] = 1e30f;  // sigma ~7e-16
  LatentIndex adopted;
  CHECK_THAT(adopted.adopt_soa(ix.mu_soa.data(), w.data(), r.n, r.d, r.label.data(), r.split.data()).message(),
             Catch::Contains("item 4 dim 2: sigma 7.07107e-16 is outside"));
}

TEST_CASE("an index with no spread ranks ties by id with the exact score", "[search][degenerate]") {
  // What an encoder that ignores its input gives: every item the same
  // posterior. Every score is equal and finite, and the tie rule (lower id
  // first) picks ids 0..k-1, also under a class filter.
  const int n = 70, d = 3;
  RawItems r;
  r.n = n;
  r.d = d;
  for (int i = 0; i < n; ++i) {
    r.mu.insert(r.mu.end(), {0.25f, -1.0f, 2.0f});
    r.sigma.insert(r.sigma.end(), {0.5f, 1.0f, 2.0f});
    r.label.push_back(static_cast<uint8_t>(i % 10));
    r.split.push_back(static_cast<uint8_t>(i < 50 ? 0 : 1));
  }
  const LatentIndex ix = build_index(r);
  const std::vector<float> z = {1.0f, 0.0f, -3.0f};
  // log q = -sum (z-mu)^2/(2 s^2) - sum log(sqrt(2 pi) s)
  const double expected = -(0.5625 / 0.5 + 1.0 / 2.0 + 25.0 / 8.0) -
                          (3 * 0.5 * std::log(2 * 3.14159265358979323846) + std::log(0.5) + std::log(2.0));
  for (SearchKernel kernel : {SearchKernel::kSimd, SearchKernel::kScalar}) {
    const std::vector<SearchHit> hits = run(ix, z, 5, Metric::kLikelihood, {}, kernel);
    for (int j = 0; j < 5; ++j) {
      CHECK(hits[j].id == j);
      CHECK(hits[j].score == Approx(expected).epsilon(1e-6));
    }
    SearchFilter test_sevens;
    test_sevens.split = 1;
    test_sevens.label = 7;
    const std::vector<SearchHit> sevens = run(ix, z, 2, Metric::kEuclidean, test_sevens, kernel);
    CHECK(sevens[0].id == 57);
    CHECK(sevens[1].id == 67);
    CHECK(sevens[0].score == Approx(std::sqrt(0.5625 + 1.0 + 25.0)).epsilon(1e-6));
  }
}

#include "model/runtime/index_io.h"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "model/runtime/f16.h"

namespace lw {

void compute_index_extras(const float* mu, const uint8_t* labels, int n, int d, IndexExtras* extras) {
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> m(mu, n, d);
  const Eigen::VectorXd mean = m.cast<double>().colwise().mean().transpose();
  const Eigen::MatrixXd centered = m.cast<double>().rowwise() - mean.transpose();
  const Eigen::MatrixXd cov = (centered.transpose() * centered) / std::max(1, n - 1);
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);  // ascending eigenvalues
  extras->pca_mean.assign(mean.data(), mean.data() + d);
  extras->pca_components.assign(static_cast<size_t>(2 * d), 0.0f);
  extras->pca_variance.assign(2, 0.0f);
  for (int axis = 0; axis < std::min(2, d); ++axis) {
    Eigen::VectorXd v = eig.eigenvectors().col(d - 1 - axis);
    // Fix the sign so the projection is reproducible: largest entry positive.
    Eigen::Index largest = 0;
    v.cwiseAbs().maxCoeff(&largest);
    if (v(largest) < 0) v = -v;
    for (int k = 0; k < d; ++k) extras->pca_components[static_cast<size_t>(axis * d + k)] = static_cast<float>(v(k));
    extras->pca_variance[static_cast<size_t>(axis)] = static_cast<float>(eig.eigenvalues()(d - 1 - axis));
  }
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(kNumLabels, d);
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(kNumLabels);
  for (int i = 0; i < n; ++i) {
    if (labels[i] >= kNumLabels) continue;
    sums.row(labels[i]) += m.row(i).cast<double>();
    counts(labels[i]) += 1;
  }
  extras->class_means.assign(static_cast<size_t>(kNumLabels * d), 0.0f);
  for (int c = 0; c < kNumLabels; ++c) {
    for (int k = 0; k < d && counts(c) > 0; ++k) {
      extras->class_means[static_cast<size_t>(c * d + k)] = static_cast<float>(sums(c, k) / counts(c));
    }
  }
}

void project_points(const IndexExtras& extras, const float* z, int n, int d, float* xy) {
  const float* mean = extras.pca_mean.data();
  const float* c0 = extras.pca_components.data();
  const float* c1 = c0 + d;
  for (int i = 0; i < n; ++i) {
    const float* zi = z + static_cast<size_t>(i) * d;
    float x = 0.0f, y = 0.0f;
    for (int k = 0; k < d; ++k) {
      const float m = zi[k] - mean[k];
      x += m * c0[k];
      y += m * c1[k];
    }
    xy[2 * static_cast<size_t>(i)] = x;
    xy[2 * static_cast<size_t>(i) + 1] = y;
  }
}

void project_pca(const LatentIndex& index, const IndexExtras& extras, std::vector<float>* xy) {
  xy->resize(static_cast<size_t>(index.n) * 2);
  std::vector<float> mu(static_cast<size_t>(index.d));
  for (int i = 0; i < index.n; ++i) {
    index.mu_of(i, mu.data());
    project_points(extras, mu.data(), 1, index.d, xy->data() + 2 * static_cast<size_t>(i));
  }
}

std::string pca_note(const IndexExtras& extras, int n) {
  if (extras.pca_variance.size() < 2) return "the index has no PCA";
  double scale = 1.0;
  for (float m : extras.pca_mean) scale = std::max(scale, static_cast<double>(std::fabs(m)));
  const double floor = 1e-6 * scale;
  const double sd0 = std::sqrt(std::max(0.0, static_cast<double>(extras.pca_variance[0])));
  const double sd1 = std::sqrt(std::max(0.0, static_cast<double>(extras.pca_variance[1])));
  if (n < 2) return "the index has one item: there is no spread to map";
  if (!(sd0 > floor)) {
    return "all " + std::to_string(n) +
           " items have the same posterior mean: there is no spread to map (does the encoder ignore its input?)";
  }
  if (extras.pca_mean.size() >= 2 && !(sd1 > floor)) {
    return "the " + std::to_string(n) + " items' posterior means lie on one line: the map's second axis shows no spread";
  }
  return "";
}

IndexStorage index_storage(const LatentIndex& index, DType requested) {
  IndexStorage out{requested, requested};
  if (requested != DType::kF16) return out;
  // Padding items hold mu 0 and inv2var 1, both exact in f16.
  constexpr float kF16MinNormal = 6.103515625e-05f;  // 2^-14
  for (size_t o = 0; o < index.mu_soa.size(); ++o) {
    const float m = index.mu_soa[o], w = index.inv2var_soa[o];
    if (w < kF16MinNormal || w > kF16Max) out.inv2var = DType::kF32;
    // mu's rounding must stay small against its sigma (1/16 of it; a trained
    // model's worst is ~1/65), or a narrow posterior moves by many sigmas.
    const double sigma = std::sqrt(0.5 / static_cast<double>(w));
    if (std::fabs(m) > kF16Max || std::fabs(m - f16_to_f32(f32_to_f16(m))) > sigma / 16) out.mu = DType::kF32;
  }
  return out;
}

Status write_index_blob(const LatentIndex& index, const Architecture& arch, const IndexExtras& extras, DType storage,
                        const std::string& metadata_json, std::vector<uint8_t>* out) {
  const uint32_t n = static_cast<uint32_t>(index.n), d = static_cast<uint32_t>(index.d);
  const uint32_t blocks = static_cast<uint32_t>(index.padded_n() / kSearchBlock);
  BlobWriter writer(BlobKind::kLatentIndex, arch, 0);
  if (!metadata_json.empty()) LW_RETURN_IF_ERROR(writer.set_metadata(metadata_json));
  const std::vector<uint32_t> soa_shape = {blocks, d, static_cast<uint32_t>(kSearchBlock)};
  const IndexStorage stored = index_storage(index, storage);
  LW_RETURN_IF_ERROR(writer.add_f32("mu_soa", soa_shape, index.mu_soa.data(), index.mu_soa.size(), stored.mu));
  LW_RETURN_IF_ERROR(
      writer.add_f32("inv2var_soa", soa_shape, index.inv2var_soa.data(), index.inv2var_soa.size(), stored.inv2var));
  LW_RETURN_IF_ERROR(writer.add_f32("lognorm", {blocks * kSearchBlock}, index.lognorm.data(), index.lognorm.size()));
  LW_RETURN_IF_ERROR(writer.add_u8("label", {n}, index.label.data(), index.label.size()));
  LW_RETURN_IF_ERROR(writer.add_u8("split", {n}, index.split.data(), index.split.size()));
  LW_RETURN_IF_ERROR(writer.add_f32("pca.mean", {d}, extras.pca_mean.data(), extras.pca_mean.size()));
  LW_RETURN_IF_ERROR(
      writer.add_f32("pca.components", {2, d}, extras.pca_components.data(), extras.pca_components.size()));
  LW_RETURN_IF_ERROR(writer.add_f32("pca.variance", {2}, extras.pca_variance.data(), extras.pca_variance.size()));
  LW_RETURN_IF_ERROR(writer.add_f32("class_means", {static_cast<uint32_t>(kNumLabels), d}, extras.class_means.data(),
                                    extras.class_means.size()));
  return writer.finish(out);
}

Status read_index_blob(const uint8_t* data, size_t size, LatentIndex* index, IndexExtras* extras) {
  BlobReader blob;
  LW_RETURN_IF_ERROR(BlobReader::parse(data, size, &blob));
  if (blob.kind() != BlobKind::kLatentIndex) {
    return Status::Error("expected a latent index, found a " + blob_kind_name(blob.kind()) + " blob");
  }
  const TensorInfo* label_info = blob.find("label");
  if (label_info == nullptr || label_info->shape.size() != 1) return Status::Error("tensor label: missing or not 1-D");
  const uint32_t d = blob.arch().latent;
  const uint64_t n = label_info->shape[0];
  if (d < 1 || d > 1024) return Status::Error("index header: latent size " + std::to_string(d) + " is out of range");
  if (n < 1 || n > (1u << 24)) return Status::Error("index: item count " + std::to_string(n) + " is out of range");
  const uint32_t blocks = static_cast<uint32_t>((n + kSearchBlock - 1) / kSearchBlock);
  const size_t cells = static_cast<size_t>(blocks) * d * kSearchBlock;
  // The buffers below are bounded by what the blob itself holds: the shape
  // checks in read_f32 fail before any oversized allocation is used.
  const TensorInfo* mu_info = blob.find("mu_soa");
  if (mu_info == nullptr) return Status::Error("tensor mu_soa: missing");
  if (mu_info->count() != cells) {
    return Status::Error("tensor mu_soa: shape " + shape_string({blocks, d, static_cast<uint32_t>(kSearchBlock)}) +
                         " expected, found " + shape_string(mu_info->shape));
  }
  const std::vector<uint32_t> soa_shape = {blocks, d, static_cast<uint32_t>(kSearchBlock)};
  std::vector<float> mu_soa(cells), inv2var_soa(cells), lognorm(static_cast<size_t>(blocks) * kSearchBlock);
  std::vector<uint8_t> labels(n), splits(n);
  LW_RETURN_IF_ERROR(blob.read_f32("mu_soa", soa_shape, mu_soa.data(), mu_soa.size()));
  LW_RETURN_IF_ERROR(blob.read_f32("inv2var_soa", soa_shape, inv2var_soa.data(), inv2var_soa.size()));
  LW_RETURN_IF_ERROR(blob.read_f32("lognorm", {blocks * kSearchBlock}, lognorm.data(), lognorm.size()));
  LW_RETURN_IF_ERROR(blob.read_u8("label", {static_cast<uint32_t>(n)}, labels.data(), labels.size()));
  LW_RETURN_IF_ERROR(blob.read_u8("split", {static_cast<uint32_t>(n)}, splits.data(), splits.size()));
  IndexExtras ex;
  ex.pca_mean.resize(d);
  ex.pca_components.resize(2 * static_cast<size_t>(d));
  ex.pca_variance.resize(2);
  ex.class_means.resize(static_cast<size_t>(kNumLabels) * d);
  LW_RETURN_IF_ERROR(blob.read_f32("pca.mean", {d}, ex.pca_mean.data(), ex.pca_mean.size()));
  LW_RETURN_IF_ERROR(blob.read_f32("pca.components", {2, d}, ex.pca_components.data(), ex.pca_components.size()));
  LW_RETURN_IF_ERROR(blob.read_f32("pca.variance", {2}, ex.pca_variance.data(), ex.pca_variance.size()));
  LW_RETURN_IF_ERROR(blob.read_f32("class_means", {static_cast<uint32_t>(kNumLabels), d}, ex.class_means.data(),
                                   ex.class_means.size()));

  // adopt_soa validates every value (finite, 1/(2 sigma^2) > 0, labels,
  // splits), rebuilds the filter bits and recomputes the log-normalisers,
  // which must agree with the stored ones.
  const int ni = static_cast<int>(n), di = static_cast<int>(d);
  LatentIndex ix;
  LW_RETURN_IF_ERROR(ix.adopt_soa(mu_soa.data(), inv2var_soa.data(), ni, di, labels.data(), splits.data()));
  for (int i = 0; i < ni; ++i) {
    if (!(std::abs(ix.lognorm[static_cast<size_t>(i)] - lognorm[static_cast<size_t>(i)]) <=
          1e-3f * (1.0f + std::abs(lognorm[static_cast<size_t>(i)])))) {
      return Status::Error("tensor lognorm: item " + std::to_string(i) + " disagrees with inv2var_soa");
    }
  }
  *index = std::move(ix);
  *extras = std::move(ex);
  return Status::Ok();
}

}  // namespace lw

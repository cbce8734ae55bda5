#include "model/runtime/vae_io.h"

#include <Eigen/Core>

#include "model/runtime/out_of_line.h"

namespace lw {
namespace {

using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

bool wanted(const std::string& name, uint32_t parts) {
  return is_decoder_tensor(name) ? (parts & kPartDecoder) != 0 : (parts & kPartEncoder) != 0;
}

// Weights and biases of some layers, counted in 64 bits without allocating.
uint64_t param_count(const std::vector<LayerShape>& layers) {
  uint64_t n = 0;
  for (const LayerShape& l : layers) n += static_cast<uint64_t>(l.out) * (static_cast<uint64_t>(l.in) + 1);
  return n;
}

void drop_unwanted(uint32_t parts, VaeParams* params) {
  if ((parts & kPartEncoder) == 0) {
    params->enc_conv.clear();
    params->conv.clear();
    params->enc.clear();
    params->enc_mu = Dense{};
    params->enc_logvar = Dense{};
  }
  if ((parts & kPartDecoder) == 0) params->dec.clear();
}

}  // namespace

Status add_weight_tensor(BlobWriter* writer, const std::string& name, const ParamRef<const float>& p, DType storage) {
  if (p.cols == 1) {
    // i8 storage quantises matrices row by row; a bias is small and every value of it matters: f16.
    const DType vector_storage = storage == DType::kI8 ? DType::kF16 : storage;
    return writer->add_f32(name, {static_cast<uint32_t>(p.rows)}, p.data, p.size(), vector_storage);
  }
  const RowMajorMatrix rm = Eigen::Map<const Eigen::MatrixXf>(p.data, p.rows, p.cols);
  return writer->add_f32(name, {static_cast<uint32_t>(p.rows), static_cast<uint32_t>(p.cols)}, rm.data(), p.size(),
                         storage);
}

// Out of line: the copy into Eigen's column-major order is a loop over every weight (out_of_line.h).
LW_OUT_OF_LINE("lw_read_weight_tensor")
Status read_weight_tensor(const BlobReader& blob, const std::string& name, const ParamRef<float>& p) {
  if (p.cols == 1) return blob.read_f32(name, {static_cast<uint32_t>(p.rows)}, p.data, p.size());
  RowMajorMatrix rm(p.rows, p.cols);
  LW_RETURN_IF_ERROR(blob.read_f32(name, {static_cast<uint32_t>(p.rows), static_cast<uint32_t>(p.cols)}, rm.data(),
                                   p.size()));
  Eigen::Map<Eigen::MatrixXf>(p.data, p.rows, p.cols) = rm;
  return Status::Ok();
}

Architecture architecture_of(const VaeConfig& config) {
  Architecture arch;
  arch.input_dim = static_cast<uint32_t>(config.input_dim);
  arch.latent = static_cast<uint32_t>(config.latent);
  for (const ConvSpec& c : config.conv) {
    arch.conv.push_back({static_cast<uint32_t>(c.channels), static_cast<uint32_t>(c.kernel),
                         static_cast<uint32_t>(c.stride), static_cast<uint32_t>(c.padding)});
  }
  for (int h : config.hidden) arch.hidden.push_back(static_cast<uint32_t>(h));
  for (int h : config.dec_hidden) arch.decoder_hidden.push_back(static_cast<uint32_t>(h));
  arch.hidden_activation = kActReLU;
  arch.output_activation = kActBernoulliLogits;
  return arch;
}

Status config_from_architecture(const Architecture& arch, VaeConfig* config) {
  if (arch.hidden_activation != kActReLU) return Status::Error("unsupported hidden activation code " + std::to_string(arch.hidden_activation));
  if (arch.output_activation != kActBernoulliLogits) {
    return Status::Error("unsupported output activation code " + std::to_string(arch.output_activation));
  }
  VaeConfig c;
  // Clamped so a hostile header cannot overflow int; validate() then refuses the value.
  const auto to_int = [](uint32_t v) { return static_cast<int>(std::min<uint32_t>(v, 1u << 30)); };
  c.input_dim = to_int(arch.input_dim);
  c.latent = to_int(arch.latent);
  for (const ArchConv& a : arch.conv) {
    c.conv.push_back({to_int(a.channels), to_int(a.kernel), to_int(a.stride), to_int(a.padding)});
  }
  c.hidden.clear();
  for (uint32_t h : arch.hidden) c.hidden.push_back(to_int(h));
  for (uint32_t h : arch.decoder_hidden) c.dec_hidden.push_back(to_int(h));
  LW_RETURN_IF_ERROR(c.validate().with_context("architecture in blob header"));
  *config = c;
  return Status::Ok();
}

Status write_model_blob(const VaeConfig& config, const VaeParams& params, uint32_t parts, DType storage,
                        const std::string& metadata_json, std::vector<uint8_t>* out,
                        const ModelStats* stats) {
  BlobWriter writer(BlobKind::kModelWeights, architecture_of(config), parts);
  if (!metadata_json.empty()) LW_RETURN_IF_ERROR(writer.set_metadata(metadata_json));
  for (const ParamRef<const float>& p : params.params()) {
    if (wanted(p.name, parts)) LW_RETURN_IF_ERROR(add_weight_tensor(&writer, p.name, p, storage));
  }
  if (stats != nullptr) LW_RETURN_IF_ERROR(write_model_stats(*stats, &writer));
  return writer.finish(out);
}

Status read_model_blob(const BlobReader& blob, VaeConfig* config, VaeParams* params, uint32_t* parts,
                       bool leave_i8_matrices) {
  if (blob.kind() != BlobKind::kModelWeights && blob.kind() != BlobKind::kTrainingCheckpoint) {
    return Status::Error("expected model weights, found a " + blob_kind_name(blob.kind()) + " blob");
  }
  const uint32_t present = blob.parts() & (kPartEncoder | kPartDecoder);
  if (present == 0) return Status::Error("model blob holds neither encoder nor decoder");
  VaeConfig c;
  LW_RETURN_IF_ERROR(config_from_architecture(blob.arch(), &c));
  // The header alone must not decide how much memory we allocate (a 7 KB
  // blob claiming 1048576-16384-2 asked for 64 GiB): the parts present must
  // fit in the floats the blob actually stores, and only those are allocated.
  uint64_t stored = 0;
  for (const TensorInfo& t : blob.tensors()) {
    if (t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kI8) stored += t.count();
  }
  uint64_t conv_weights = 0;
  for (const ConvGeometry& g : c.conv_geometry()) conv_weights += static_cast<uint64_t>(g.out_ch) * (g.patch() + 1);
  const uint64_t needed = ((present & kPartEncoder) ? param_count(c.encoder_layers()) + conv_weights : 0) +
                          ((present & kPartDecoder) ? param_count(c.decoder_layers()) : 0);
  if (needed > stored) {
    return Status::Error("architecture " + c.describe() + " in the blob header needs " + std::to_string(needed) +
                         " weights, the blob stores only " + std::to_string(stored) + " float values");
  }
  VaeParams p;
  allocate_params(c, &p, (present & kPartEncoder) != 0, (present & kPartDecoder) != 0);
  for (const ParamRef<float>& ref : p.params()) {
    if (!wanted(ref.name, present)) continue;
    const TensorInfo* t = leave_i8_matrices && ref.cols > 1 ? blob.find(ref.name) : nullptr;
    if (t != nullptr && t->dtype == DType::kI8) {
      // Checked as the integer kernel will read it (shape, scales), not widened: the caller runs it from the blob.
      const int8_t* q = nullptr;
      std::vector<float> scales;
      LW_RETURN_IF_ERROR(blob.view_i8_matrix(
          ref.name, {static_cast<uint32_t>(ref.rows), static_cast<uint32_t>(ref.cols)}, &q, &scales));
      continue;
    }
    LW_RETURN_IF_ERROR(read_weight_tensor(blob, ref.name, ref));
  }
  drop_unwanted(present, &p);
  *config = c;
  *params = std::move(p);
  if (parts) *parts = present;
  return Status::Ok();
}

Status round_trip_storage(const VaeConfig& config, DType storage, VaeParams* params, uint32_t parts) {
  if (storage == DType::kF32) return Status::Ok();
  const uint32_t present = (params->enc.empty() ? 0u : kPartEncoder) | (params->dec.empty() ? 0u : kPartDecoder);
  const uint32_t chosen = present & parts;
  if (chosen == 0) return Status::Ok();
  std::vector<uint8_t> bytes;
  LW_RETURN_IF_ERROR(write_model_blob(config, *params, chosen, storage, "", &bytes));
  VaeConfig stored_config;
  VaeParams stored;
  LW_RETURN_IF_ERROR(read_model_blob(bytes.data(), bytes.size(), &stored_config, &stored, nullptr));
  if (chosen & kPartEncoder) {
    params->enc = std::move(stored.enc);
    params->enc_conv = std::move(stored.enc_conv);
    params->enc_mu = std::move(stored.enc_mu);
    params->enc_logvar = std::move(stored.enc_logvar);
  }
  if (chosen & kPartDecoder) params->dec = std::move(stored.dec);
  return Status::Ok();
}

Status read_model_blob(const uint8_t* data, size_t size, VaeConfig* config, VaeParams* params, uint32_t* parts) {
  BlobReader blob;
  LW_RETURN_IF_ERROR(BlobReader::parse(data, size, &blob));
  return read_model_blob(blob, config, params, parts);
}

}  // namespace lw

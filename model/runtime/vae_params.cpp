#include "model/runtime/vae_params.h"

#include <cmath>

#include "model/runtime/rng.h"

namespace lw {

Status VaeConfig::validate() const {
  if (input_dim < 1 || input_dim > 1 << 20) return Status::Error("input size must be in [1, 1048576]");
  if (latent < 1 || latent > 1024) return Status::Error("latent size must be in [1, 1024], got " + std::to_string(latent));
  if (hidden.empty() || hidden.size() > 8) return Status::Error("need 1 to 8 hidden layers");
  for (int h : hidden) {
    if (h < 1 || h > 16384) return Status::Error("hidden layer size must be in [1, 16384], got " + std::to_string(h));
  }
  if (dec_hidden.size() > 8) return Status::Error("need 0 to 8 decoder hidden layers");
  for (int h : dec_hidden) {
    if (h < 1 || h > 16384) {
      return Status::Error("decoder hidden layer size must be in [1, 16384], got " + std::to_string(h));
    }
  }
  return validate_conv();
}

Status VaeConfig::validate_conv() const {
  if (conv.empty()) return Status::Ok();
  if (conv.size() > 4) return Status::Error("need 0 to 4 convolutions, got " + std::to_string(conv.size()));
  int side = 0;
  while (side * side < input_dim) ++side;
  if (side * side != input_dim) {
    return Status::Error("convolutions need a square image; input size " + std::to_string(input_dim) + " is not");
  }
  for (size_t i = 0; i < conv.size(); ++i) {
    const ConvSpec& c = conv[i];
    // Named as --conv writes it, so the message points at the text the person typed.
    const std::string which = "convolution " + std::to_string(i) + " (" + conv_spec_text(c) + "): ";
    if (c.channels < 1 || c.channels > 1024) return Status::Error(which + "channels must be in [1, 1024]");
    if (c.kernel < 1 || c.kernel > 8) return Status::Error(which + "kernel must be in [1, 8]");
    if (c.stride < 1 || c.stride > 4) return Status::Error(which + "stride must be in [1, 4]");
    if (c.padding < 0 || c.padding >= c.kernel) return Status::Error(which + "padding must be in [0, kernel - 1]");
    if (side + 2 * c.padding < c.kernel) {
      return Status::Error(which + "the " + std::to_string(side) + "-pixel input is smaller than the kernel");
    }
    const int in_ch = i == 0 ? 1 : conv[i - 1].channels;
    side = (side + 2 * c.padding - c.kernel) / c.stride + 1;
    // Bounds on what inference allocates per sample, so that a header cannot ask for gigabytes
    // with a few weights: the output, and the patches (kernels/im2col.h).
    const long long out = static_cast<long long>(side) * side * c.channels;
    const long long patches = static_cast<long long>(side) * side * c.kernel * c.kernel * in_ch;
    if (out > 1 << 20) return Status::Error(which + "its output (" + std::to_string(out) + " floats) exceeds 1048576");
    if (patches > 1 << 22) {
      return Status::Error(which + "its patches (" + std::to_string(patches) + " floats) exceed 4194304");
    }
  }
  return Status::Ok();
}

std::string conv_spec_text(const ConvSpec& c) {
  return "c" + std::to_string(c.channels) + "k" + std::to_string(c.kernel) + "s" + std::to_string(c.stride) + "p" +
         std::to_string(c.padding);
}

Status parse_conv_spec(const std::string& text, ConvSpec* spec) {
  const char keys[4] = {'c', 'k', 's', 'p'};
  int values[4] = {0, 0, 0, 0};
  size_t pos = 0;
  for (int f = 0; f < 4; ++f) {
    if (pos >= text.size() || text[pos] != keys[f]) {
      return Status::Error("convolution \"" + text + "\" is not of the form c32k4s2p1 (channels, kernel, stride, padding)");
    }
    ++pos;
    const size_t start = pos;
    long long v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 6) v = v * 10 + (text[pos++] - '0');
    if (pos == start || (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')) {
      return Status::Error("convolution \"" + text + "\": '" + std::string(1, keys[f]) + "' needs a number of 1 to 6 digits");
    }
    values[f] = static_cast<int>(v);
  }
  if (pos != text.size()) return Status::Error("convolution \"" + text + "\" has trailing characters");
  *spec = ConvSpec{values[0], values[1], values[2], values[3]};
  return Status::Ok();
}

std::vector<ConvGeometry> VaeConfig::conv_geometry() const {
  std::vector<ConvGeometry> out;
  int side = 0;
  while (side * side < input_dim) ++side;
  int ch = 1;
  for (const ConvSpec& c : conv) {
    ConvGeometry g;
    g.in_side = side;
    g.in_ch = ch;
    g.kernel = c.kernel;
    g.stride = c.stride;
    g.padding = c.padding;
    g.out_ch = c.channels;
    g.out_side = (side + 2 * c.padding - c.kernel) / c.stride + 1;
    out.push_back(g);
    side = g.out_side;
    ch = g.out_ch;
  }
  return out;
}

int VaeConfig::encoder_dense_input() const {
  return conv.empty() ? input_dim : conv_geometry().back().out_size();
}

std::vector<LayerShape> VaeConfig::encoder_layers() const {
  std::vector<LayerShape> layers;
  int in = encoder_dense_input();
  for (int h : hidden) {
    layers.push_back({h, in});
    in = h;
  }
  layers.push_back({latent, in});  // mu
  layers.push_back({latent, in});  // log-variance
  return layers;
}

std::vector<LayerShape> VaeConfig::decoder_layers() const {
  std::vector<LayerShape> layers;
  int in = latent;
  for (int h : decoder_hidden()) {
    layers.push_back({h, in});
    in = h;
  }
  layers.push_back({input_dim, in});  // logits
  return layers;
}

std::string VaeConfig::describe() const {
  // std::to_string, not a stringstream: iostreams would add ~100 KB to the wasm module.
  std::string out = std::to_string(input_dim);
  for (const ConvSpec& c : conv) out += "-" + conv_spec_text(c);
  for (int h : hidden) out += "-" + std::to_string(h);
  out += "-" + std::to_string(latent);
  if (!dec_hidden.empty()) {
    out += ", decoder " + std::to_string(latent);
    for (int h : dec_hidden) out += "-" + std::to_string(h);
    out += "-" + std::to_string(input_dim);
  }
  return out;
}

namespace {

template <typename T, typename Dense>
void add_dense(const std::string& prefix, Dense& d, std::vector<ParamRef<T>>* out) {
  out->push_back({prefix + ".weight", d.W.data(), static_cast<int>(d.W.rows()), static_cast<int>(d.W.cols())});
  out->push_back({prefix + ".bias", d.b.data(), static_cast<int>(d.b.rows()), 1});
}

template <typename T>
void allocate_dense(int out, int in, DenseT<T>* d) {
  d->W.setZero(out, in);
  d->b.setZero(out);
}

}  // namespace

template <typename T>
std::vector<ParamRef<T>> VaeParamsT<T>::params() {
  std::vector<ParamRef<T>> out;
  for (size_t i = 0; i < enc_conv.size(); ++i) add_dense<T>("enc.conv" + std::to_string(i), enc_conv[i], &out);
  for (size_t i = 0; i < enc.size(); ++i) add_dense<T>("enc." + std::to_string(i), enc[i], &out);
  add_dense<T>("enc.mu", enc_mu, &out);
  add_dense<T>("enc.logvar", enc_logvar, &out);
  for (size_t i = 0; i < dec.size(); ++i) add_dense<T>("dec." + std::to_string(i), dec[i], &out);
  return out;
}

template <typename T>
std::vector<ParamRef<const T>> VaeParamsT<T>::params() const {
  std::vector<ParamRef<const T>> out;
  for (ParamRef<T>& p : const_cast<VaeParamsT<T>*>(this)->params()) out.push_back({p.name, p.data, p.rows, p.cols});
  return out;
}

bool is_decoder_tensor(const std::string& name) { return name.rfind("dec.", 0) == 0; }

bool is_posterior_mean_tensor(const std::string& name) {
  return name.rfind("enc.", 0) == 0 && name.rfind("enc.logvar.", 0) != 0;
}

template <typename T>
size_t VaeParamsT<T>::num_params() const {
  size_t n = 0;
  for (const ParamRef<const T>& p : params()) n += p.size();
  return n;
}

template <typename T>
void allocate_params(const VaeConfig& c, VaeParamsT<T>* p, bool encoder, bool decoder) {
  p->enc_conv.clear();
  p->conv.clear();
  p->enc.clear();
  p->enc_mu = DenseT<T>{};
  p->enc_logvar = DenseT<T>{};
  p->dec.clear();
  if (encoder) {
    p->conv = c.conv_geometry();
    for (const ConvGeometry& g : p->conv) {
      p->enc_conv.emplace_back();
      allocate_dense(g.out_ch, g.patch(), &p->enc_conv.back());
    }
    const std::vector<LayerShape> enc = c.encoder_layers();  // hidden layers, mu, log-variance
    p->enc.resize(enc.size() - 2);
    for (size_t i = 0; i < p->enc.size(); ++i) allocate_dense(enc[i].out, enc[i].in, &p->enc[i]);
    allocate_dense(enc[enc.size() - 2].out, enc[enc.size() - 2].in, &p->enc_mu);
    allocate_dense(enc.back().out, enc.back().in, &p->enc_logvar);
  }
  if (decoder) {
    const std::vector<LayerShape> dec = c.decoder_layers();
    p->dec.resize(dec.size());
    for (size_t i = 0; i < dec.size(); ++i) allocate_dense(dec[i].out, dec[i].in, &p->dec[i]);
  }
}

template <typename T>
void init_params(const VaeConfig& c, uint64_t seed, VaeParamsT<T>* p) {
  allocate_params(c, p);
  Rng rng(seed);
  for (ParamRef<T>& ref : p->params()) {
    if (ref.cols == 1) continue;  // biases start at zero
    // He-uniform for ReLU layers; the heads and output layer get the same
    // fan-in scaling, and the log-variance head starts 10x smaller so sigma
    // starts near 1 for every input.
    double limit = std::sqrt(6.0 / ref.cols);
    if (ref.name == "enc.logvar.weight") limit *= 0.1;
    for (size_t i = 0; i < ref.size(); ++i) ref.data[i] = static_cast<T>((2.0 * rng.uniform() - 1.0) * limit);
  }
}

// float for everything; double for the training code's gradient tests.
template struct VaeParamsT<float>;
template struct VaeParamsT<double>;
template void allocate_params<float>(const VaeConfig&, VaeParamsT<float>*, bool, bool);
template void allocate_params<double>(const VaeConfig&, VaeParamsT<double>*, bool, bool);
template void init_params<float>(const VaeConfig&, uint64_t, VaeParamsT<float>*);
template void init_params<double>(const VaeConfig&, uint64_t, VaeParamsT<double>*);

}  // namespace lw

// Element-wise activation applied after a dense layer's bias add.
#pragma once

namespace lw {
namespace kernels {

enum class Activation {
  kIdentity,  // y = h (logits, latent heads)
  kRelu,      // y = h > 0 ? h : 0 (NaN -> 0)
  kSigmoid,   // y = 1 / (1 + exp(-h)), see sigmoid.h for accuracy and edge cases
};

const char* activation_name(Activation a);

}  // namespace kernels
}  // namespace lw

// A convolution as a dense layer over patches (im2col), for the encoder's
// convolutions: the patches of one sample are gathered into a matrix, one
// patch per output position, so the convolution is the dense kernels' (or
// Eigen's) W * patches + b. col2im_add is its adjoint, for training.
//
// Layout (HWC): a sample's activations are contiguous, channels fastest:
// element (y, x, c) at (y * side + x) * channels + c. A patch holds the window
// of output position (oy, ox) in the order (ky, kx, c), c fastest: element
// (ky * kernel + kx) * in_ch + c is the input at (oy * stride - padding + ky,
// ox * stride - padding + kx, c), or 0 outside the image (zero padding).
// The weights W [out_ch x patch()] use the same column order, so output
// (oy, ox, o) = sum_j W(o, j) * patch(oy, ox)[j] + b(o).
// Reference: Chellapilla, Puri and Simard, "High Performance Convolutional
// Neural Networks for Document Processing" (IWFHR 2006), the unrolling of a
// convolution into a matrix product.
#pragma once
#include <cstring>

namespace lw {
namespace kernels {

// A convolution's sizes: input in_side x in_side x in_ch, output
// out_side x out_side x out_ch, square window kernel x kernel moved by
// stride, padding zero pixels on every side.
struct ConvGeometry {
  int in_side = 0, in_ch = 0;
  int out_side = 0, out_ch = 0;
  int kernel = 0, stride = 1, padding = 0;
  int patch() const { return kernel * kernel * in_ch; }      // floats per patch (the dense layer's input)
  int positions() const { return out_side * out_side; }      // output pixels per sample
  int in_size() const { return in_side * in_side * in_ch; }  // floats per input sample
  int out_size() const { return positions() * out_ch; }      // floats per output sample
};

// Gathers the patches of one sample. in: [in_size()] HWC; patches:
// [positions() x patch()] row-major (patch p at patches + p * patch()).
// Every element of patches is written (zeros for padding).
template <typename T>
void im2col(const ConvGeometry& g, const T* in, T* patches) {
  const int run = g.in_ch;  // one window row's pixel: in_ch contiguous floats in both layouts
  T* dst = patches;
  for (int oy = 0; oy < g.out_side; ++oy) {
    for (int ox = 0; ox < g.out_side; ++ox) {
      for (int ky = 0; ky < g.kernel; ++ky) {
        const int y = oy * g.stride - g.padding + ky;
        for (int kx = 0; kx < g.kernel; ++kx, dst += run) {
          const int x = ox * g.stride - g.padding + kx;
          if (y < 0 || y >= g.in_side || x < 0 || x >= g.in_side) {
            for (int c = 0; c < run; ++c) dst[c] = T(0);
          } else {
            std::memcpy(dst, in + (static_cast<long>(y) * g.in_side + x) * run, sizeof(T) * run);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: adds each patch element back to the input element it
// was gathered from (padding elements are dropped). d_patches: [positions() x
// patch()] row-major; d_in: [in_size()], accumulated into (not cleared).
template <typename T>
void col2im_add(const ConvGeometry& g, const T* d_patches, T* d_in) {
  const int run = g.in_ch;
  const T* src = d_patches;
  for (int oy = 0; oy < g.out_side; ++oy) {
    for (int ox = 0; ox < g.out_side; ++ox) {
      for (int ky = 0; ky < g.kernel; ++ky) {
        const int y = oy * g.stride - g.padding + ky;
        for (int kx = 0; kx < g.kernel; ++kx, src += run) {
          const int x = ox * g.stride - g.padding + kx;
          if (y < 0 || y >= g.in_side || x < 0 || x >= g.in_side) continue;
          T* dst = d_in + (static_cast<long>(y) * g.in_side + x) * run;
          for (int c = 0; c < run; ++c) dst[c] += src[c];
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace lw

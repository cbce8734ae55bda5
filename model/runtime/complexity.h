// Input complexity of an image: its code length in nats under a generic,
// adaptive 2-D context model that knows nothing about garments.
//
// Why: likelihood alone is a poor out-of-distribution score. Deep generative
// models give simple images (a thin stroke, a plain patch) a HIGHER likelihood
// than most of their own training data (Nalisnick et al. 2019), and a digit
// drawn by hand lands mid-distribution. Serra et al. (ICLR 2020, "Input
// complexity and out-of-distribution detection with likelihood-based generative
// models") subtract the image's complexity, measured by a general-purpose
// coder, from its negative log-likelihood:
//     S(x) = -log p(x) - L(x)
// S is how many more nats the garment model needs than a model of "any
// picture" does; a high S means "not a garment". The exporter ships the test
// garments' S, the page ranks an image's S among them.
//
// The coder here is sequential prediction (the code length an arithmetic coder
// would reach, without writing the bits): pixels in raster order, each predicted
// from its four causal neighbours (left, up-left, up, up-right, thresholded at
// 0.5: 16 contexts) by Krichevsky-Trofimov estimates, p1 = (n1 + 1/2) / (n + 1),
// with soft counts so grey pixels count as fractions. The cost of pixel x is
// the same Bernoulli cross-entropy the VAE's likelihood uses,
// -[x ln p1 + (1 - x) ln(1 - p1)], so L and -log p(x) are in the same units.
#pragma once

namespace lw {

// x: [height * width] values in [0, 1], row-major. Returns L(x) in nats
// (>= 0). The caller validates x (finite, in range); width, height >= 1.
double input_complexity(const float* x, int width, int height);

}  // namespace lw

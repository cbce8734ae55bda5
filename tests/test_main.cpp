// Catch2's main. Tests that need the dataset find it through
// FASHION_MNIST_DIR (else data/fashion-mnist) via tests/test_data.h.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

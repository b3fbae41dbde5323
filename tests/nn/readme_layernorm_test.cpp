// The example layer of nn/README.md, exactly as written there: LayerNorm, with its gradient check.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using tapegrad::test::FreshTape;

namespace {

// --- from nn/README.md -------------------------------------------------------------------------
// Layer normalisation (Ba, Kiros & Hinton 2016), as torch::nn::LayerNorm over the last axis:
// each row is centred and scaled to unit variance, then multiplied by `weight` and shifted by
// `bias`, both learned, one per feature.
class LayerNorm : public nn::Module {
public:
  LayerNorm(std::int64_t features, double eps = 1e-5, DType dtype = kFloat32)
      : Module("LayerNorm"), features_(features), eps_(eps) {
    if (features <= 0)
      fail("LayerNorm: expected a positive number of features, got {}", features);
    // Starts as the identity transform of the normalised rows, as PyTorch's.
    register_parameter("weight", weight = ones({features}, dtype));
    register_parameter("bias", bias = zeros({features}, dtype));
  }

  Tensor forward(const Tensor& x) override {
    if (x.dim() < 1 || x.size(x.dim() - 1) != features_)
      fail("LayerNorm: expected an input of shape [..., {}], got {}", features_, x.shape());
    const Tensor centred = x - x.mean(-1, /*keepdim=*/true);
    // The biased variance (divided by n, not n - 1), as PyTorch's; eps keeps a constant row finite.
    const Tensor variance = centred.square().mean(-1, /*keepdim=*/true);
    return centred / (variance + eps_).sqrt() * weight + bias;
  }

  std::string extra_repr() const override {
    return fmt::format("features={}, eps={}", features_, eps_);
  }

  Tensor weight, bias; // [features] each

private:
  std::int64_t features_;
  double eps_;
};
// -----------------------------------------------------------------------------------------------

} // namespace

TEST_CASE("the README's LayerNorm normalises rows and passes gradcheck", "[nn][readme]") {
  FreshTape fresh;
  // --- from nn/README.md -----------------------------------------------------------------------
  Generator gen(0);
  LayerNorm norm(5, 1e-5, kFloat64);
  // Away from their initial ones and zeros, so that every parameter's gradient matters.
  nn::init::normal_(norm.weight, 1.0, 0.5, gen);
  nn::init::normal_(norm.bias, 0.0, 0.5, gen);
  const Tensor x = randn({3, 5}, gen, kFloat64).requires_grad_();
  const GradcheckResult result = nn::gradcheck_module(norm, x);
  INFO(result.message);
  CHECK(result.passed);
  // ---------------------------------------------------------------------------------------------

  LayerNorm plain(4);
  CHECK(plain.to_string() == "LayerNorm(features=4, eps=1e-05)  weight [4], bias [4]\n"
                             "8 parameters (float32)\n");
  const Tensor rows = plain(tensor({1.0, 2.0, 3.0, 6.0, -1.0, 0.0, 0.0, 1.0}).reshape({2, 4}));
  for (std::int64_t r = 0; r < 2; ++r) {
    const Tensor row = rows.slice(0, r, r + 1);
    CHECK(row.mean().item<double>() == Approx(0.0).margin(1e-6));
    CHECK(row.square().mean().item<double>() == Approx(1.0).epsilon(1e-4));
  }
}

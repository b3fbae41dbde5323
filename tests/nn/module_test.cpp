// Module: hierarchical names, parameter counts, zero_grad, train/eval, dtype conversion, the
// printout, and the checks on registration and state loading.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {
// A model with a nested child, as the MDN will have: trunk.0.weight, ..., head.weight.
class TwoPart : public nn::Module {
public:
  explicit TwoPart(Generator& gen) : Module("TwoPart") {
    trunk = register_module("trunk", std::make_shared<nn::MLP>(2, std::vector<std::int64_t>{4}, 3,
                                                               nn::Activation::ReLU, gen));
    head = register_module("head", std::make_shared<nn::Linear>(3, 1, false, gen));
  }
  Tensor forward(const Tensor& x) override { return head->forward(trunk->forward(x)); }
  std::shared_ptr<nn::MLP> trunk;
  std::shared_ptr<nn::Linear> head;
};

std::vector<std::string> names_of(const std::vector<nn::Module::NamedTensor>& named) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : named)
    names.push_back(name);
  return names;
}
} // namespace

TEST_CASE("parameters have hierarchical names in registration order", "[nn][module]") {
  Generator gen(0);
  TwoPart model(gen);
  CHECK(names_of(model.named_parameters()) ==
        std::vector<std::string>{"trunk.0.weight", "trunk.0.bias", "trunk.2.weight", "trunk.2.bias",
                                 "head.weight"});
  CHECK(model.parameter_count() == 2 * 4 + 4 + 4 * 3 + 3 + 3);
  CHECK(model.parameters().size() == 5);
  for (const Tensor& p : model.parameters()) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
    CHECK(p.dtype() == kFloat32);
  }
  // The handles are the members themselves: an update through one is seen by the other.
  CHECK(model.parameters()[4].impl() == model.head->weight.impl());
}

TEST_CASE("the printout shows the architecture with shapes and the count", "[nn][module]") {
  Generator gen(0);
  TwoPart model(gen);
  const std::string text = model.to_string();
  INFO(text);
  CHECK(text ==
        "TwoPart(\n"
        "  (trunk): MLP(\n"
        "    (0): Linear(in_features=2, out_features=4, bias=true)  weight [4, 2], bias [4]\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=4, out_features=3, bias=true)  weight [3, 4], bias [3]\n"
        "  )\n"
        "  (head): Linear(in_features=3, out_features=1, bias=false)  weight [1, 3]\n"
        ")\n"
        "30 parameters (float32)\n");
}

TEST_CASE("zero_grad zeroes every gradient and train/eval reach every descendant", "[nn][module]") {
  FreshTape fresh;
  Generator gen(1);
  TwoPart model(gen);
  model(randn({5, 2}, gen)).sum().backward();
  clear_tape();
  for (const Tensor& p : model.parameters())
    REQUIRE(p.grad().defined());
  model.zero_grad();
  for (const Tensor& p : model.parameters())
    for (double g : p.grad().to_vector<double>())
      CHECK(g == 0.0);

  CHECK(model.is_training());
  model.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(model.trunk->is_training());
  CHECK_FALSE((*model.trunk)[1].is_training());
  model.train();
  CHECK((*model.trunk)[1].is_training());
}

TEST_CASE("to(float64) converts the members in place, keeping the values", "[nn][module]") {
  FreshTape fresh;
  Generator gen(2);
  TwoPart model(gen);
  const std::vector<double> before = model.head->weight.to_vector<double>();
  model.to(kFloat64);
  CHECK(model.head->weight.dtype() == kFloat64);
  CHECK(model.head->weight.requires_grad());
  CHECK(model.head->weight.to_vector<double>() == before);
  for (const Tensor& p : model.parameters())
    CHECK(p.dtype() == kFloat64);
  const Tensor y = model(randn({3, 2}, gen, kFloat64));
  CHECK(y.dtype() == kFloat64);
  CHECK(y.shape() == Shape{3, 1});
}

TEST_CASE("modules reject bad names, bad inputs and mismatched states", "[nn][module]") {
  Generator gen(3);
  nn::Linear layer(3, 2, true, gen);
  CHECK_THAT(error_of([&] {
               layer(zeros({4, 5}));
             }),
             Contains("Linear: expected an input of shape [..., 3], got [4, 5]"));
  CHECK_THAT(error_of([&] { nn::Linear(0, 2, gen); }), Contains("positive in_features"));

  nn::Linear other(3, 4, true, gen);
  CHECK_THAT(error_of([&] { layer.load_state_dict(other.state_dict(), "other"); }),
             Contains("other: tensor 'weight' has shape [4, 3], but the model (Linear) expects "
                      "shape [2, 3]"));
  nn::Linear no_bias(3, 2, false, gen);
  CHECK_THAT(error_of([&] { layer.load_state_dict(no_bias.state_dict(), "small"); }),
             Contains("small: tensor 'bias' is missing"));
  CHECK_THAT(error_of([&] { no_bias.load_state_dict(layer.state_dict(), "big"); }),
             Contains("big: tensor 'bias' (shape [2]) is not part of the model (Linear)"));

  nn::Sequential empty_sequential;
  CHECK_THAT(error_of([&] { empty_sequential[0]; }), Contains("index 0 is out of range"));
  nn::Module bare("Bare");
  CHECK_THAT(error_of([&] { bare(zeros({1})); }), Contains("Bare: this module has no forward"));
}

TEST_CASE("load_state_dict copies values and leaves the members' handles alone", "[nn][module]") {
  Generator gen(4);
  nn::MLP a(2, {3}, 1, nn::Activation::Tanh, gen), b(2, {3}, 1, nn::Activation::Tanh, gen);
  auto& b_first = static_cast<nn::Linear&>(b[0]);
  const TensorImpl* handle = b_first.weight.impl();
  b.load_state_dict(a.state_dict());
  CHECK(b_first.weight.impl() == handle);
  const auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    CHECK(pa[i].to_vector<double>() == pb[i].to_vector<double>());
}

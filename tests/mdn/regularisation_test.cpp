// Regularisation for small data: noise regularisation perturbs training batches only (never the
// validation rows, never a prediction), the floor under the scales follows the targets'
// resolution, and a component that collapses onto a repeated value is reported.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/fit_data.hpp"

#include <mdn/mdn.hpp>

#include <cmath>
#include <cstring>

using namespace tapegrad;
using Catch::Matchers::Contains;
using test::FreshTape;

namespace {

mdn::MDN small_network() {
  Generator gen(4);
  return mdn::MDN({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {8}}, gen);
}

bool same_parameters(const nn::Module& a, const nn::Module& b) {
  const nn::StateDict sa = a.state_dict(), sb = b.state_dict();
  auto ib = sb.begin();
  for (const auto& [name, ta] : sa) {
    const Tensor tb = (ib++)->second;
    if (std::memcmp(ta.data_ptr<float>(), tb.data_ptr<float>(), ta.numel() * sizeof(float)) != 0)
      return false;
  }
  return true;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "noise regularisation changes training, the same way for the same seed, and "
                 "never the validation NLL",
                 "[mdn][regularisation]") {
  const test::XY d = test::two_branches(200, 1), v = test::two_branches(100, 2);
  mdn::TrainOptions options{.epochs = 30, .batch_size = 50, .lr = 0.01, .seed = 3};
  mdn::MDN plain = small_network();
  mdn::train(plain, d.x, d.y, v.x, v.y, options);
  options.input_noise = 0.3;
  options.target_noise = 0.2;
  mdn::MDN noisy = small_network(), again = small_network();
  const mdn::TrainResult result = mdn::train(noisy, d.x, d.y, v.x, v.y, options);
  mdn::train(again, d.x, d.y, v.x, v.y, options);
  CHECK_FALSE(same_parameters(plain, noisy)); // the noise reached the training batches
  CHECK(same_parameters(noisy, again));       // drawn from the seed alone
  // The network is back at its best epoch, whose validation NLL was computed on the rows as
  // they are: evaluating them again gives that very number.
  CHECK(mdn::evaluate_nll(noisy, v.x, v.y) == result.best_val_nll);
}

TEST_CASE_METHOD(FreshTape, "a model fitted with noise regularisation predicts without noise",
                 "[mdn][regularisation]") {
  const test::XY d = test::two_branches(200, 3);
  mdn::FitOptions o;
  o.components = {2};
  o.model.hidden = {8};
  o.train.steps = 80;
  o.ensemble = 2;
  o.noise = 0.5;
  const mdn::FittedModel model = mdn::fit(d.x, d.y, o);
  // Twice the same bits: nothing random happens at prediction...
  const Tensor first = model.mixture(d.x).log_prob(d.y), second = model.mixture(d.x).log_prob(d.y);
  CHECK(std::memcmp(first.data_ptr<float>(), second.data_ptr<float>(),
                    first.numel() * sizeof(float)) == 0);
  // ...and the numbers are those of the networks on the inputs as given.
  NoGradGuard no_grad;
  const mdn::Mixture own =
      model.y_scale.unstandardize(model.members[0]->mixture(model.x_scale.apply(d.x)));
  // (float to double is exact: equal doubles are equal floats)
  CHECK(own.mean.to_vector<double>() == model.mixture(d.x).mean.slice(1, 0, 2).to_vector<double>());
}

TEST_CASE("the resolution of whole units is 1, of continuous data far below its spread",
          "[mdn][regularisation]") {
  const test::XY units = test::whole_units(300, 1);
  CHECK(mdn::column_resolution(units.y)[0] == 1.0);
  const test::XY smooth = test::one_gaussian(300, 2, kFloat64);
  CHECK(mdn::column_resolution(smooth.y)[0] < 0.01);
  CHECK(mdn::resolution_floor({1.0}, {2.0}, 1e-3) == Approx(0.5 / std::sqrt(12.0)));
  CHECK(mdn::resolution_floor({1e-6}, {2.0}, 1e-3) == 1e-3);
}

TEST_CASE_METHOD(FreshTape,
                 "targets in whole units raise the floor, and a component collapsed onto a "
                 "repeated value is reported",
                 "[mdn][regularisation]") {
  const test::XY d = test::whole_units(400, 1);
  mdn::FitOptions o;
  o.components = {3};
  o.model.hidden = {16, 16};
  o.train.steps = 1500;
  o.ensemble = 1;
  o.noise = 0.0;
  o.y_names = {"count"};
  o.source = "counts.csv";
  const mdn::FittedModel model = mdn::fit(d.x, d.y, o);
  const double floor = 1.0 / model.y_scale.std[0] / std::sqrt(12.0);
  CHECK(model.options().min_scale == Approx(floor));
  REQUIRE(model.warnings.size() >= 1);
  CHECK_THAT(model.warnings[0], Contains("counts.csv: component"));
  CHECK_THAT(model.warnings[0], Contains("has collapsed onto 'count' = 3: it explains"));

  // Continuous targets: no warning.
  const test::XY smooth = test::two_branches(400, 2);
  o.components = {2};
  o.y_names = {"y"};
  CHECK(mdn::fit(smooth.x, smooth.y, o).warnings.empty());
}

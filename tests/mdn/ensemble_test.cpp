// Ensembles (FitOptions::ensemble): the fitted density is the average of the networks' densities,
// one mixture of M K components; the fit is the same bits on 1 and 2 threads; the model file keeps
// every network (format version 2) and refuses a damaged one.
#include "tests/support/autograd_helpers.hpp"
#include "tests/support/fit_data.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <mdn/mdn.hpp>
#include <mdn/model_file.hpp>

#include <omp.h>

#include <cmath>
#include <cstring>

using namespace tapegrad;
using Catch::Matchers::Contains;
using test::error_of;
using test::FreshTape;

namespace {

mdn::FitOptions small_ensemble(std::int64_t members) {
  mdn::FitOptions o;
  o.components = {2};
  o.model.hidden = {8};
  o.train.steps = 60;
  o.ensemble = members;
  o.seed = 5;
  return o;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape())
    return false;
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  return std::memcmp(va.data(), vb.data(), va.size() * sizeof(double)) == 0;
}

bool same_states(const nn::StateDict& a, const nn::StateDict& b) {
  if (a.size() != b.size())
    return false;
  auto ib = b.begin();
  for (const auto& [name, tensor] : a) {
    if (name != ib->first || !same_bits(tensor, ib->second))
      return false;
    ++ib;
  }
  return true;
}

} // namespace

TEST_CASE_METHOD(FreshTape,
                 "an ensemble's density is the average of its networks' densities, in data units",
                 "[mdn][ensemble]") {
  const test::XY d = test::two_branches(200, 1, kFloat64);
  mdn::FitOptions o = small_ensemble(3);
  o.dtype = kFloat64;
  const mdn::FittedModel model = mdn::fit(d.x, d.y, o);
  REQUIRE(model.ensemble_size() == 3);
  const mdn::Mixture all = model.mixture(d.x);
  CHECK(all.num_components() == 3 * 2);

  const std::vector<double> ensemble = all.log_prob(d.y).to_vector<double>();
  std::vector<double> average(ensemble.size(), 0.0);
  for (const auto& network : model.members) {
    NoGradGuard no_grad;
    const mdn::Mixture own =
        model.y_scale.unstandardize(network->mixture(model.x_scale.apply(d.x)));
    const std::vector<double> log_p = own.log_prob(d.y).to_vector<double>();
    for (std::size_t i = 0; i < average.size(); ++i)
      average[i] += std::exp(log_p[i]) / 3;
  }
  for (std::size_t i = 0; i < average.size(); ++i)
    CHECK(ensemble[i] == Approx(std::log(average[i])).margin(1e-10));
  // The networks differ: an ensemble of copies would average nothing.
  CHECK_FALSE(same_states(model.members[0]->state_dict(), model.members[1]->state_dict()));
}

TEST_CASE_METHOD(FreshTape, "ensemble_mixture: weights pi / M, and log p = log mean_m p_m",
                 "[mdn][ensemble]") {
  const mdn::Mixture a = test::random_mixture(mdn::NoiseModel::Diagonal, 4, 3, 2, 1);
  const mdn::Mixture b = test::random_mixture(mdn::NoiseModel::Diagonal, 4, 3, 2, 2);
  const Tensor y = test::uniform({4, 2}, 3, -2, 2);
  const mdn::Mixture both = mdn::ensemble_mixture({a, b});
  CHECK(both.num_components() == 6);
  const std::vector<double> weights = both.log_pi.exp().sum(1).to_vector<double>();
  for (double w : weights)
    CHECK(w == Approx(1).epsilon(1e-12));
  const std::vector<double> pa = a.log_prob(y).to_vector<double>(),
                            pb = b.log_prob(y).to_vector<double>(),
                            p = both.log_prob(y).to_vector<double>();
  for (std::size_t i = 0; i < p.size(); ++i)
    CHECK(p[i] == Approx(std::log((std::exp(pa[i]) + std::exp(pb[i])) / 2)).epsilon(1e-12));
  CHECK_THAT(
      error_of([&] {
        mdn::ensemble_mixture({a, test::random_mixture(mdn::NoiseModel::Isotropic, 4, 3, 2, 4)});
      }),
      Contains("expected mixtures of the same rows and model"));
}

TEST_CASE_METHOD(FreshTape, "an ensemble's fit is the same bits on 1 and on 2 threads",
                 "[mdn][ensemble]") {
  const test::XY d = test::two_branches(150, 2);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const nn::StateDict one = mdn::model_state(mdn::fit(d.x, d.y, small_ensemble(3)));
  omp_set_num_threads(2);
  const nn::StateDict two = mdn::model_state(mdn::fit(d.x, d.y, small_ensemble(3)));
  omp_set_num_threads(threads);
  CHECK(same_states(one, two));
}

TEST_CASE_METHOD(FreshTape,
                 "an ensemble's model file is version 2 and loads back bit for bit; one network "
                 "stays version 1",
                 "[mdn][ensemble][model_file]") {
  const test::XY d = test::two_branches(150, 3);
  const mdn::FittedModel model = mdn::fit(d.x, d.y, small_ensemble(3));
  const nn::StateDict state = mdn::model_state(model);
  CHECK(state.find("config.format_version").item<std::int64_t>() == 2);
  CHECK(state.find("config.ensemble").item<std::int64_t>() == 3);
  CHECK(state.contains("model.2.head.pi.weight"));
  const mdn::FittedModel back = mdn::model_from_state(state, "ensemble.tgm");
  REQUIRE(back.ensemble_size() == 3);
  CHECK(same_states(mdn::model_state(back), state));
  CHECK(same_bits(back.mixture(d.x).log_prob(d.y), model.mixture(d.x).log_prob(d.y)));

  const nn::StateDict single = mdn::model_state(mdn::fit(d.x, d.y, small_ensemble(1)));
  CHECK(single.find("config.format_version").item<std::int64_t>() == 1);
  CHECK_FALSE(single.contains("config.ensemble"));
  CHECK(single.contains("model.head.pi.weight"));
}

TEST_CASE_METHOD(FreshTape,
                 "a damaged ensemble file is refused naming the entry, before anything is built",
                 "[mdn][ensemble][model_file]") {
  const test::XY d = test::two_branches(150, 4);
  const nn::StateDict state = mdn::model_state(mdn::fit(d.x, d.y, small_ensemble(2)));
  const auto with = [&](const std::string& name, const Tensor& value) {
    nn::StateDict changed;
    for (const auto& [n, t] : state)
      changed.insert(n, n == name ? value : t);
    if (!state.contains(name))
      changed.insert(name, value);
    return changed;
  };
  const auto count = [](std::int64_t v) { return from_vector(std::vector<std::int64_t>{v}, {1}); };
  CHECK_THAT(error_of([&] { mdn::model_from_state(with("config.ensemble", count(0)), "f.tgm"); }),
             Contains("f.tgm: entry 'config.ensemble' holds 0; expected a size of at least 1"));
  CHECK_THAT(
      error_of([&] { mdn::model_from_state(with("config.ensemble", count(1 << 30)), "f.tgm"); }),
      Contains("expected an ensemble of at most 1024 networks; the file is corrupt"));
  CHECK_THAT(error_of([&] { mdn::model_from_state(with("config.ensemble", count(900)), "f.tgm"); }),
             Contains("900 network(s)) call for more parameters than the"));
  CHECK_THAT(error_of([&] {
               mdn::model_from_state(
                   with("model.7.head.pi.bias", state.find("model.1.head.pi.bias")), "f.tgm");
             }),
             Contains("unexpected entry 'model.7.head.pi.bias'; expected model.<m>.* with m below "
                      "the ensemble's 2"));
  nn::StateDict missing;
  for (const auto& [n, t] : state)
    if (n != "model.1.head.mu.weight")
      missing.insert(n, t);
  CHECK_THAT(error_of([&] { mdn::model_from_state(missing, "f.tgm"); }),
             Contains("f.tgm (network 1)"));
}

// bishop_inverse: Bishop's (1994) toy inverse problem, the reason MDNs exist.
//
//   forward:  t ~ U(0, 1),  x = t + 0.3 sin(2 pi t) + U(-0.1, 0.1)   (one x for each t)
//   inverse:  predict t from x                                      (up to three t for one x)
//
// A network trained on squared error learns E[t | x], the average of the branches, which runs
// through the middle where there is no data. A 3-component MDN of the same size learns the whole
// p(t | x), every branch with its weight.
#include "common/example.hpp"

#include <mdn/metrics.hpp>

#include <fmt/format.h>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::examples;

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "bishop_inverse",
      "Bishop's inverse problem: a 3-component MDN beside a squared-error network of the same "
      "size.",
      [](const ExampleRun& run) {
        const Dataset train = bishop_inverse(1000, run.seed);
        const Dataset val = bishop_inverse(300, run.seed + 1);
        const Dataset test = bishop_inverse(5000, run.seed + 2);

        // Bishop's recipe (as tests/mdn/bishop_test.cpp): two tanh layers of 20, K = 3.
        FitSettings settings;
        settings.y_name = "t";
        settings.model = {.components = 3, .hidden = {20, 20}};
        settings.train = {.epochs = run.epochs(1000), .batch_size = 250, .lr = 0.01};
        settings.train.seed = run.seed;
        settings.seed = run.seed;
        const mdn::FittedModel mdn = fit_mdn(train.x, train.y, val.x, val.y, settings);
        const FittedMSE mse = fit_mse(train.x, train.y, val.x, val.y, {20, 20},
                                      nn::Activation::Tanh, settings.train, run.seed);

        const mdn::Metrics m = mdn::evaluate(mdn.mixture(test.x), test.y);
        const double mse_rmse = rmse(mse.predict(test.x), test.y);
        // The squared-error net as a density: a Gaussian around its prediction with its RMSE.
        const double mse_nll = 0.5 * std::log(2 * std::numbers::pi * mse_rmse * mse_rmse) + 0.5;
        fmt::print("held-out NLL (nats per point): MDN {:.3f}, squared-error net as a Gaussian "
                   "{:.3f}\n",
                   m.nll, mse_nll);
        fmt::print("held-out RMSE of the MDN's mean {:.3f} (of its mode {:.3f}), of the "
                   "squared-error net {:.3f}\n",
                   m.rmse, m.rmse_mode, mse_rmse);

        write_outputs_1d(
            run, train, mdn,
            {.title = "Bishop's inverse problem", .x_label = "x", .y_label = "t", .mse = &mse});
      });
}

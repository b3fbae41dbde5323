// spiral: the tutorial's hyperbolic spiral, r = theta over [0, 5 pi], 2000 points, with uniform
// noise on x. Seen as y given x it has up to five branches at once: a squared-error network
// averages them into a flat wiggle near zero, an MDN keeps each arm of the spiral.
#include "common/example.hpp"

#include <mdn/metrics.hpp>

#include <fmt/format.h>

using namespace tapegrad;
using namespace tapegrad::examples;

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "spiral",
      "The hyperbolic spiral: up to five y for one x; an MDN keeps every arm.",
      [](const ExampleRun& run) {
        // The tutorial draws training and test sets from the same curve with fresh noise.
        const Dataset train = spiral(2000, run.seed);
        const Dataset val = spiral(2000, run.seed + 1);
        mdn::TrainOptions options{.epochs = run.epochs(1500), .batch_size = 200, .lr = 0.005};
        options.seed = run.seed;
        FitSettings settings;
        settings.model = {.components = 12, .hidden = {64, 64}};
        settings.train = options;
        settings.seed = run.seed;
        const mdn::FittedModel mdn = fit_mdn(train.x, train.y, val.x, val.y, settings);
        const FittedMSE mse = fit_mse(train.x, train.y, val.x, val.y, {64, 64},
                                      nn::Activation::Tanh, options, run.seed);
        const mdn::Metrics m = mdn::evaluate(mdn.mixture(val.x), val.y);
        fmt::print("held-out: MDN NLL {:.3f} nats per point; RMSE of the squared-error net {:.3f}, "
                   "of the MDN's mean {:.3f}: both near the spread of y, since every arm is a "
                   "right answer\n",
                   m.nll, rmse(mse.predict(val.x), val.y), m.rmse);
        write_outputs_1d(run, train, mdn, {.title = "Spiral", .mse = &mse, .equal_aspect = true});
      });
}

// sine_inverted: the tutorial's noisy sine, forward and inverted.
//
//   y = 0.5 x + 8 sin(0.3 x) + N(0, 1),  x ~ U(-15, 15),  3000 points
//
// Forward (x -> y) a squared-error network fits well: for each x the noise is one Gaussian and
// its mean is the answer. Inverted (y -> x) one y has up to three x: the same network draws a
// line through the middle of them, while an MDN with 30 components (as the tutorial) follows
// every branch.
#include "common/example.hpp"
#include "common/figures.hpp"
#include "common/io.hpp"

#include <mdn/metrics.hpp>

#include <fmt/format.h>

using namespace tapegrad;
using namespace tapegrad::examples;

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "sine_inverted",
      "The noisy sine forward (squared error works) and inverted (it fails; a 30-component MDN "
      "succeeds).",
      [](const ExampleRun& run) {
        const Dataset all = noisy_sine(3000, run.seed);
        const Dataset test = noisy_sine(3000, run.seed + 1);
        // The tutorial's 3:1 split into training and validation data.
        const Dataset train{all.x.slice(0, 0, 2250), all.y.slice(0, 0, 2250)};
        const Dataset val{all.x.slice(0, 2250, 3000), all.y.slice(0, 2250, 3000)};
        mdn::TrainOptions train_options{.epochs = run.epochs(1000), .batch_size = 256, .lr = 0.01};
        train_options.seed = run.seed;

        // Forward: one tanh layer of 40 on squared error, as the tutorial.
        const FittedMSE forward = fit_mse(train.x, train.y, val.x, val.y, {40},
                                          nn::Activation::Tanh, train_options, run.seed);
        fmt::print("forward  (x -> y): squared-error net, held-out RMSE {:.3f} (the noise is 1)\n",
                   rmse(forward.predict(test.x), test.y));
        const std::vector<double> grid = cell_centres(range_of(column(train.x), 0.02), 200);
        Plot plot("Forward: y from x, a squared-error net fits", "x", "y",
                  range_of(column(train.x), 0.02), range_of(column(train.y), 0.05));
        plot.scatter(column(train.x), column(train.y), kBlue, "training data", 1.4, 0.3);
        plot.line(grid, column(forward.predict(from_vector(grid, {200, 1}, kFloat32))), kGreen,
                  "squared-error net", 2.5);
        plot.save(run.out.string() + "/forward.svg");

        // Inverted: swap the roles of x and y.
        const Dataset inv_train{train.y, train.x}, inv_val{val.y, val.x}, inv_test{test.y, test.x};
        const FittedMSE inverse = fit_mse(inv_train.x, inv_train.y, inv_val.x, inv_val.y, {40},
                                          nn::Activation::Tanh, train_options, run.seed);
        FitSettings settings;
        settings.y_name = "x"; // inverted: x from y
        settings.model = {.components = 30, .hidden = {50, 50}, .activation = nn::Activation::ReLU};
        settings.train = train_options;
        settings.seed = run.seed;
        const mdn::FittedModel mdn =
            fit_mdn(inv_train.x, inv_train.y, inv_val.x, inv_val.y, settings);
        const mdn::Metrics m = mdn::evaluate(mdn.mixture(inv_test.x), inv_test.y);
        fmt::print("inverted (y -> x): squared-error net held-out RMSE {:.3f}; MDN held-out NLL "
                   "{:.3f} nats per point, RMSE of its mean {:.3f}, 90% coverage {:.3f}\n",
                   rmse(inverse.predict(inv_test.x), inv_test.y), m.nll, m.rmse,
                   m.coverage90.value_or(0));
        write_outputs_1d(
            run, inv_train, mdn,
            {.title = "Inverted sine", .x_label = "y", .y_label = "x", .mse = &inverse});
      });
}

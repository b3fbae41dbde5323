// mdn: conditional densities p(y | x) for your own CSV data with a mixture density network.
//
//   mdn fit --data train.csv --out model.tgm        mdn eval --model model.tgm --data test.csv
//   mdn predict / sample / plot / demo               mdn <command> --help
//
// Exit status 0 on success, 2 on any user error (one `error:` line on standard error), 130 or
// 143 when SIGINT or SIGTERM stopped `mdn fit` (after saving a checkpoint to resume from).
#include "mdn_cli/commands.hpp"

#include <autograd/error.hpp>

#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "usage: mdn <command> [options]   (mdn <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  fit      train an MDN p(y | x) on columns of a CSV file and save it\n"
    "  eval     NLL, RMSE, MAE (CRPS and 90% coverage for one output) on a CSV file\n"
    "  predict  mean, std, mode and the mixture's parameters for every row\n"
    "  sample   draw samples from p(y | x), with temperatures\n"
    "  plot     the density p(y | x) of a 1-D model as an SVG heat map\n"
    "  demo     fit Bishop's inverse problem (built in) and draw its pictures\n"
    "  tune     search fit's settings by cross-validated NLL and save the best model\n";

int dispatch(int argc, char** argv) {
  using namespace tapegrad::examples;
  if (argc < 2)
    tapegrad::fail(
        "mdn: expected a command (fit, eval, predict, sample, plot, demo, tune; see mdn --help)");
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "fit")
    return fit_command(argc, argv);
  if (command == "eval")
    return eval_command(argc, argv);
  if (command == "predict")
    return predict_command(argc, argv);
  if (command == "sample")
    return sample_command(argc, argv);
  if (command == "plot")
    return plot_command(argc, argv);
  if (command == "demo")
    return demo_command(argc, argv);
  if (command == "tune")
    return tune_command(argc, argv);
  tapegrad::fail(
      "mdn: unknown command '{}'; expected fit, eval, predict, sample, plot, demo or tune",
      command);
}

} // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const tapegrad::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

// libFuzzer target: the fit checkpoint (mdn::fit_checkpoint_from_bytes, mdn/checkpoint.hpp), and
// what a resume does with it: mdn::train takes its training state back (the model, Adam's moments
// and step count, the epochs done, the early-stopping state and the history) into the small MDN
// the seed corpus was written for (1 input, 1 output, 2 components, one hidden layer of 3), then
// trains on. Any input must either resume or throw tapegrad::Error. As for model files, each input
// is tried as it is and with its sizes and checksums repaired.
#include "fuzz_file.hpp"
#include "state_repair.hpp"

#include <autograd/autograd.hpp>
#include <mdn/checkpoint.hpp>
#include <mdn/train.hpp>

namespace {

void resume(const std::vector<std::uint8_t>& bytes) {
  using namespace tapegrad;
  try {
    const mdn::FitCheckpoint checkpoint = mdn::fit_checkpoint_from_bytes(bytes, "input.ckpt");
    for (const auto& [name, value] : checkpoint.settings)
      TAPEGRAD_FUZZ_CHECK(checkpoint.setting(name) == value);
    Generator gen(1);
    mdn::MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {3}}, gen);
    const Tensor x = randn({16, 1}, gen), y = randn({16, 1}, gen);
    const mdn::TrainResult result = mdn::train(
        model, x, y, x, y, {.epochs = 4, .batch_size = 8, .lr = 0.01, .resume = checkpoint.train});
    TAPEGRAD_FUZZ_CHECK(result.history.size() == 4); // the epochs done, then the rest to 4
  } catch (const Error&) {
    // Not a checkpoint, a damaged one, or one of another model: reported as such.
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tapegrad::fuzz::load_as_is_and_repaired(data, size, resume);
  return 0;
}

// libFuzzer target: the sequence model file's loader (mdn::load_sequence_model_from_bytes,
// mdn/sequence_file.hpp), and under it nn::state_from_bytes, in memory. Any input must either load
// or throw tapegrad::Error; a crash, a sanitizer report, another exception, or an allocation far
// beyond the input's size is a bug. Each input is loaded as it is and with its sizes and checksums
// repaired, so that mutations reach the entries (the recurrent layer, its sizes, the columns).
#include "fuzz_file.hpp"
#include "state_repair.hpp"

#include <autograd/autograd.hpp>
#include <mdn/sequence_file.hpp>

namespace {

void load(const std::vector<std::uint8_t>& bytes) {
  using namespace tapegrad;
  try {
    const mdn::FittedSequenceModel model = mdn::load_sequence_model_from_bytes(bytes, "input.tgm");
    // A model that loads must also run: one sequence of two steps in, their NLL out.
    const std::vector<std::vector<double>> nll = model.step_nll({zeros({2, model.out_dim()})});
    TAPEGRAD_FUZZ_CHECK(nll.size() == 1 && nll[0].size() == 2);
    // What it saves, it loads again.
    const std::vector<unsigned char> saved = model.to_bytes();
    TAPEGRAD_FUZZ_CHECK(mdn::load_sequence_model_from_bytes(saved, "saved.tgm").out_dim() ==
                        model.out_dim());
  } catch (const Error&) {
    // Not a sequence model file, or a damaged one, reported as such.
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tapegrad::fuzz::load_as_is_and_repaired(data, size, load);
  return 0;
}

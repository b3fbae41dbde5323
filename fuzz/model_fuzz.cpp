// libFuzzer target: the model-file loader (mdn::load_from_bytes, mdn/model_file.hpp), and under it
// nn::state_from_bytes (nn/serialize.hpp), in memory. Any input must either load or throw
// tapegrad::Error; a crash, a sanitizer report, another exception, or an allocation far beyond the
// input's size is a bug. Each input is loaded as it is, which exercises the checks of the file
// format (magic, version, sizes, checksums), and with its sizes and checksums repaired, so that
// mutations get past the checksums to the entries' contents (names, dtypes, shapes, the model's
// options).
#include "fuzz_file.hpp"
#include "state_repair.hpp"

#include <autograd/autograd.hpp>
#include <mdn/model_file.hpp>

namespace {

void load(const std::vector<std::uint8_t>& bytes) {
  using namespace tapegrad;
  try {
    const mdn::FittedModel model = mdn::load_from_bytes(bytes, "input.tgm");
    // A model that loads must also run: one row of zeros in, one mixture out.
    const mdn::MDNOptions& o = model.options();
    const mdn::Mixture mixture = model.mixture(zeros({1, o.in_features}));
    TAPEGRAD_FUZZ_CHECK(mixture.batch_size() == 1);
    TAPEGRAD_FUZZ_CHECK(mixture.num_components() == o.components);
    TAPEGRAD_FUZZ_CHECK(mixture.dim() == o.out_dim);
    // What it saves, it loads again.
    const std::vector<unsigned char> saved = model.to_bytes();
    TAPEGRAD_FUZZ_CHECK(mdn::load_from_bytes(saved, "saved.tgm").options().components ==
                        o.components);
  } catch (const Error&) {
    // Not a model file, or a damaged one, reported as such: what the loader is for.
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tapegrad::fuzz::load_as_is_and_repaired(data, size, load);
  return 0;
}

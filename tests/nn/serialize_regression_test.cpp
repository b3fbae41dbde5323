// Inputs that fuzz/model_fuzz found to break nn::load_state, each fed to it again here.
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;

TEST_CASE("an empty file is rejected as truncated", "[nn][serialize][fuzz_regression]") {
  // load_state compared the magic with memcmp(bytes.data(), ...), and an empty vector's data() is
  // a null pointer: undefined behaviour even for a length of 0 (UBSan: nonnull-attribute).
  const auto path = std::filesystem::temp_directory_path() /
                    ("tapegrad-nn-empty-" + std::to_string(::getpid()) + ".tgs");
  std::ofstream(path).close();
  CHECK_THAT(error_of([&] { nn::load_state(path); }),
             Contains(path.string() + ": file truncated: it has 0 bytes, fewer than the 32"));
  std::filesystem::remove(path);
}

// libFuzzer target: the command line (examples/common/args.hpp), and the parsers of the values a
// flag holds: integers, numbers, lists of integers and of names, a delimiter. The input is the
// argument list, its arguments separated by NUL bytes, read against a table with a flag of every
// kind the `mdn` subcommands declare. Any input must either parse, with values that keep the
// promises of their parser (an integer at least its minimum, a finite number in its range, a
// non-empty list), or throw tapegrad::Error; a crash, a sanitizer report (an overflow in a
// number's conversion, say) or another exception is a bug.
#include "fuzz_file.hpp"

#include <common/args.hpp>
#include <common/csv.hpp>

#include <autograd/error.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

tapegrad::examples::Args flag_table() {
  using tapegrad::examples::Flag;
  return tapegrad::examples::Args(
      "mdn fuzz", "every kind of flag",
      {{"data", "FILE", "a file", "", true},
       {"epochs", "N", "an integer of at least 1", "300"},
       {"seed", "N", "an integer of at least 0", "1"},
       {"lr", "F", "a number above 0", "0.005"},
       {"val", "F", "a number of at least 0", "0.1"},
       {"components", "K[,K...]", "integers of at least 1", "5"},
       {"x", "A,B", "names"},
       {"noise", "MODEL", "a choice", "diagonal", false, {"full", "diagonal", "isotropic"}},
       {"delimiter", "C", "a delimiter"},
       {"quiet", "", "a switch"}});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tapegrad;
  std::vector<std::string> arguments{"mdn", "fuzz"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      arguments.push_back(current);
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  arguments.push_back(current);
  std::vector<char*> argv;
  for (std::string& argument : arguments)
    argv.push_back(argument.data());
  examples::Args args = flag_table();
  try {
    if (!args.parse(static_cast<int>(argv.size()), argv.data(), 2))
      return 0; // --help
    TAPEGRAD_FUZZ_CHECK(args.given("data"));
    TAPEGRAD_FUZZ_CHECK(args.integer("epochs", 1) >= 1);
    TAPEGRAD_FUZZ_CHECK(args.integer("seed", 0) >= 0);
    const double lr = args.number("lr", 0, false);
    TAPEGRAD_FUZZ_CHECK(std::isfinite(lr) && lr > 0);
    const double val = args.number("val", 0);
    TAPEGRAD_FUZZ_CHECK(std::isfinite(val) && val >= 0);
    const std::vector<std::int64_t> components = args.integers("components", 1);
    TAPEGRAD_FUZZ_CHECK(!components.empty());
    for (std::int64_t k : components)
      TAPEGRAD_FUZZ_CHECK(k >= 1);
    for (const std::string& name : args.names("x"))
      TAPEGRAD_FUZZ_CHECK(!name.empty());
    (void)args.text("noise");
    (void)args.on("quiet");
    if (args.given("delimiter"))
      (void)examples::parse_delimiter(args.text("delimiter"));
  } catch (const Error&) {
    // A bad command line, reported as such.
  }
  return 0;
}

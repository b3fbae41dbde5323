// mdn: conditional densities p(y | x) for your own CSV data with a mixture density network.
//
//   mdn fit --data train.csv --out model.tgm        mdn eval --model model.tgm --data test.csv
//   mdn predict / sample / plot / report / demo      mdn help <command>, mdn <command> --help
//
// Exit status 0 on success, 2 on any user error (one `error:` line on standard error), 130 or
// 143 when SIGINT or SIGTERM stopped `mdn fit` (after saving a checkpoint to resume from). Under
// mpirun, process 0 alone speaks (mdn_cli/processes.hpp).
#include "mdn_cli/commands.hpp"
#include "mdn_cli/processes.hpp"

#include <autograd/error.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

namespace {

int dispatch(int argc, char** argv) {
  using namespace tapegrad::examples;
  if (argc < 2)
    tapegrad::fail("mdn: expected a command (fit, eval, predict, sample, plot, report, demo; see "
                   "mdn --help)");
  const std::string_view first = argv[1];
  if (first == "--help" || first == "-h") {
    std::fputs(main_usage().c_str(), stdout);
    return 0;
  }
  if (first == "--version" || first == "-V") {
    fmt::print("{}\n", version_line());
    return 0;
  }
  const Command& command = find_command(first);
  // The words a command takes before its flags (`mdn help fit`, `mdn completion bash`).
  std::vector<std::string> positional;
  int next = 2;
  if (!command.positional.empty() && next < argc && std::string_view(argv[next]).rfind("-", 0) != 0)
    positional.emplace_back(argv[next++]);
  Args args = command.flags();
  if (!args.parse(argc, argv, next))
    return 0;
  return command.run(args, positional);
}

} // namespace

int main(int argc, char** argv) {
  try {
    tapegrad::examples::join_processes();
    return dispatch(argc, argv);
  } catch (const tapegrad::Error& e) {
    return tapegrad::examples::end_with_error(e.what(), 2);
  } catch (const std::exception& e) {
    return tapegrad::examples::end_with_error(e.what(), 1);
  }
}

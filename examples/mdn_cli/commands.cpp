// The table of `mdn`'s subcommands, and the ones that describe `mdn` itself: help, version,
// completion and man.
#include "mdn_cli/commands.hpp"

#include "common/io.hpp"

#include <autograd/error.hpp>

#include <fmt/format.h>

#include <cstdio>

#ifndef TAPEGRAD_VERSION
#define TAPEGRAD_VERSION "unknown"
#endif

namespace tapegrad::examples {

namespace {

Args help_args() {
  return Args("mdn help", "Shows what mdn does, or the options of one command (as CMD --help).",
              {});
}

int help_command(Args& /*args*/, const std::vector<std::string>& positional) {
  if (positional.empty())
    std::fputs(main_usage().c_str(), stdout);
  else
    std::fputs(find_command(positional[0]).flags().usage().c_str(), stdout);
  return 0;
}

Args version_args() {
  return Args("mdn version",
              "Prints the version of mdn and of the tapegrad library it is built on.", {});
}

int version_command(Args& /*args*/, const std::vector<std::string>& /*positional*/) {
  fmt::print("{}\n", version_line());
  return 0;
}

Args completion_args() {
  return Args("mdn completion",
              "Prints a bash completion script for mdn, made from the same option tables as\n"
              "--help: `source <(mdn completion bash)`, or install it (cmake --install does) in\n"
              "share/bash-completion/completions/mdn.",
              {{"out", "FILE", "where to write it (- writes standard output)", "-"}});
}

int completion_command(Args& args, const std::vector<std::string>& positional) {
  if (positional.empty() || positional[0] != "bash")
    fail("mdn completion: '{}': expected the shell, bash (mdn completion bash)",
         positional.empty() ? std::string() : positional[0]);
  write_file_atomic(args.text("out"), bash_completion());
  return 0;
}

Args man_args() {
  return Args("mdn man",
              "Prints the manual page of mdn in roff, made from the same option tables as --help:\n"
              "`mdn man | man -l -`, or install it (cmake --install does) in share/man/man1.",
              {{"out", "FILE", "where to write it (- writes standard output)", "-"}});
}

int man_command(Args& args, const std::vector<std::string>& /*positional*/) {
  write_file_atomic(args.text("out"), man_page());
  return 0;
}

} // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table{
      {"fit", "", "train an MDN p(y | x) on columns of a CSV file and save it", fit_args,
       fit_command},
      {"eval", "", "NLL, RMSE, MAE (CRPS and 90% coverage for one output) on a CSV file", eval_args,
       eval_command},
      {"predict", "", "mean, std, mode and the mixture's parameters for every row", predict_args,
       predict_command},
      {"sample", "", "draw samples from p(y | x), with temperatures", sample_args, sample_command},
      {"plot", "", "the density p(y | x) of a 1-D model as an SVG heat map", plot_args,
       plot_command},
      {"report", "", "one HTML page: metrics, calibration, density, training curves", report_args,
       report_command},
      {"demo", "", "fit Bishop's inverse problem (built in) and draw its pictures", demo_args,
       demo_command},
      {"tune", "", "search fit's settings by cross-validated NLL and save the best model",
       tune_args, tune_command},
      {"help", "[COMMAND]", "this overview, or the options of COMMAND", help_args, help_command},
      {"version", "", "the version (also mdn --version)", version_args, version_command},
      {"completion", "bash", "a bash completion script", completion_args, completion_command},
      {"man", "", "the manual page, in roff", man_args, man_command}};
  return table;
}

const Command& find_command(std::string_view name) {
  std::string known;
  for (const Command& c : commands()) {
    if (c.name == name)
      return c;
    known += (known.empty() ? "" : ", ") + c.name;
  }
  fail("mdn: unknown command '{}'; expected one of {} (see mdn --help)", name, known);
}

std::string version_line() {
  return fmt::format("mdn (tapegrad) {}", TAPEGRAD_VERSION);
}

std::string main_usage() {
  std::string out = "usage: mdn <command> [options]   (mdn help <command> for its options)\n"
                    "       mdn --version\n\n"
                    "Conditional densities p(y | x) for your own CSV files with mixture density\n"
                    "networks.\n\ncommands:\n";
  for (const Command& c : commands()) {
    std::string left = "  " + c.name + (c.positional.empty() ? "" : " " + c.positional);
    left.resize(std::max<std::size_t>(left.size() + 2, 20), ' ');
    out += left + c.summary + "\n";
  }
  out += "\nExit status: 0 on success, 2 on bad input (one `error:` line on standard error),\n"
         "130 or 143 when SIGINT or SIGTERM stopped `mdn fit` (after saving a checkpoint).\n";
  return out;
}

} // namespace tapegrad::examples

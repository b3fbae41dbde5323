#pragma once
// Command-line flags of the form `--name value` or `--name=value` (and bare switches such as
// `--json`), declared up front so that `--help`, the man page and the shell completion are all
// generated from the same table, and anything undeclared is an error.
//
//   Args args("mdn fit", "Fits an MDN to a CSV file.", {
//       {"data", "FILE", "training data (CSV with a header; - for stdin)"},
//       {"epochs", "N", "training epochs", "200"},
//       {"noise", "MODEL", "the noise model", "diagonal", false, {"full", "diagonal"}},
//       {"json", "", "print JSON"}});                 // no value name: a switch
//   if (!args.parse(argc, argv, 2)) return 0;         // --help was printed
//   std::int64_t epochs = args.integer("epochs", 1);
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tapegrad::examples {

struct Flag {
  Flag(std::string name_, std::string value_name_, std::string help_,
       std::string default_value_ = "", bool required_ = false,
       std::vector<std::string> choices_ = {})
      : name(std::move(name_)), value_name(std::move(value_name_)), help(std::move(help_)),
        default_value(std::move(default_value_)), required(required_),
        choices(std::move(choices_)) {}
  std::string name;          // without the leading dashes
  std::string value_name;    // "N", "FILE", "DIR"; empty for a switch
  std::string help;          // one line
  std::string default_value; // empty: required when `required`, otherwise absent
  bool required = false;
  std::vector<std::string> choices; // the values it takes, when they are few (for completion)
  bool is_switch() const { return value_name.empty(); }
};

class Args {
public:
  Args(std::string program, std::string summary, std::vector<Flag> flags);

  // Reads argv[first..argc). Returns false after printing the usage for --help or -h; throws
  // Error for an unknown flag, a missing value or a missing required flag.
  bool parse(int argc, char** argv, int first);

  bool given(const std::string& name) const;
  bool on(const std::string& name) const; // a switch
  std::string text(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t min) const;
  double number(const std::string& name, double min, bool min_inclusive = true) const;
  std::vector<std::int64_t> integers(const std::string& name, std::int64_t min) const;
  std::vector<std::string> names(const std::string& name) const; // comma-separated; may be empty
  std::string usage() const;
  // Makes `value` the value of a flag that was not given (`mdn fit --resume` takes the run's).
  void set_default(const std::string& name, std::string value);

  const std::string& program() const { return program_; }
  const std::string& summary() const { return summary_; }
  const std::vector<Flag>& flags() const { return flags_; }

private:
  const Flag& find(const std::string& name) const;
  std::string program_, summary_;
  std::vector<Flag> flags_;
  std::vector<std::pair<std::string, std::string>> values_;
};

} // namespace tapegrad::examples

#pragma once
// Command-line flags of the form `--name value` (and bare switches such as `--json`), declared
// up front so that `--help` can list them and anything undeclared is an error.
//
//   Args args("mdn fit", "Fits an MDN to a CSV file.", {
//       {"data", "FILE", "training data (CSV with a header; - for stdin)"},
//       {"epochs", "N", "training epochs", "200"},
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
       std::string default_value_ = "", bool required_ = false)
      : name(std::move(name_)), value_name(std::move(value_name_)), help(std::move(help_)),
        default_value(std::move(default_value_)), required(required_) {}
  std::string name;          // without the leading dashes
  std::string value_name;    // "N", "FILE"; empty for a switch
  std::string help;          // one line
  std::string default_value; // empty: required when `required`, otherwise absent
  bool required = false;
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

private:
  const Flag& find(const std::string& name) const;
  std::string program_, summary_;
  std::vector<Flag> flags_;
  std::vector<std::pair<std::string, std::string>> values_;
};

} // namespace tapegrad::examples

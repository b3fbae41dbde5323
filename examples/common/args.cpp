#include "common/args.hpp"

#include <autograd/error.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tapegrad::examples {

Args::Args(std::string program, std::string summary, std::vector<Flag> flags)
    : program_(std::move(program)), summary_(std::move(summary)), flags_(std::move(flags)) {}

const Flag& Args::find(const std::string& name) const {
  for (const Flag& flag : flags_)
    if (flag.name == name)
      return flag;
  fail("{}: unknown option '--{}' (see {} --help)", program_, name, program_);
}

bool Args::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage().c_str(), stdout);
      return false;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2)
      fail("{}: unexpected argument '{}'; expected an option such as --data (see {} --help)",
           program_, arg, program_);
    // --name=value, as GNU tools take it, or --name value.
    const std::size_t equals = arg.find('=');
    const Flag& flag = find(arg.substr(2, equals == std::string::npos ? arg.npos : equals - 2));
    if (given(flag.name))
      fail("{}: '--{}' is given twice", program_, flag.name);
    if (flag.is_switch()) {
      if (equals != std::string::npos)
        fail("{}: '{}': --{} is a switch and takes no value; expected '--{}' alone", program_, arg,
             flag.name, flag.name);
      values_.emplace_back(flag.name, "1");
      continue;
    }
    if (equals != std::string::npos) {
      values_.emplace_back(flag.name, arg.substr(equals + 1));
      continue;
    }
    if (i + 1 == argc)
      fail("{}: '--{}' expects a value ({})", program_, flag.name, flag.value_name);
    values_.emplace_back(flag.name, argv[++i]);
  }
  for (const Flag& flag : flags_)
    if (flag.required && !given(flag.name))
      fail("{}: '--{}' is required (see {} --help)", program_, flag.name, program_);
  return true;
}

void Args::set_default(const std::string& name, std::string value) {
  for (Flag& flag : flags_)
    if (flag.name == name)
      flag.default_value = std::move(value);
  find(name);
}

bool Args::given(const std::string& name) const {
  for (const auto& [key, value] : values_)
    if (key == name)
      return true;
  return false;
}

bool Args::on(const std::string& name) const {
  find(name);
  return given(name);
}

std::string Args::text(const std::string& name) const {
  const Flag& flag = find(name);
  for (const auto& [key, value] : values_)
    if (key == name)
      return value;
  return flag.default_value;
}

std::int64_t Args::integer(const std::string& name, std::int64_t min) const {
  const std::string value = text(name);
  std::int64_t result = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (error != std::errc() || end != value.data() + value.size() || result < min)
    fail("{}: '--{} {}': expected an integer of at least {}", program_, name, value, min);
  return result;
}

double Args::number(const std::string& name, double min, bool min_inclusive) const {
  const std::string value = text(name);
  char* end = nullptr;
  const double result = std::strtod(value.c_str(), &end);
  const bool ok = !value.empty() && end == value.c_str() + value.size() && std::isfinite(result) &&
                  (min_inclusive ? result >= min : result > min);
  if (!ok)
    fail("{}: '--{} {}': expected a number {} {}", program_, name, value,
         min_inclusive ? "of at least" : "greater than", min);
  return result;
}

std::vector<std::string> Args::names(const std::string& name) const {
  const std::string value = text(name);
  std::vector<std::string> out;
  if (value.empty())
    return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    const std::string item = value.substr(start, comma - start);
    if (item.empty())
      fail("{}: '--{} {}': expected a comma-separated list without empty items", program_, name,
           value);
    out.push_back(item);
    if (comma == std::string::npos)
      return out;
    start = comma + 1;
  }
}

std::vector<std::int64_t> Args::integers(const std::string& name, std::int64_t min) const {
  std::vector<std::int64_t> out;
  for (const std::string& item : names(name)) {
    std::int64_t v = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (error != std::errc() || end != item.data() + item.size() || v < min)
      fail("{}: '--{} {}': expected comma-separated integers of at least {}", program_, name,
           text(name), min);
    out.push_back(v);
  }
  if (out.empty())
    fail("{}: '--{}' expects at least one integer", program_, name);
  return out;
}

std::string Args::usage() const {
  // The flags a command cannot do without, then the rest as [options]: listed one per line below.
  std::string out = "usage: " + program_;
  bool optional = false;
  for (const Flag& flag : flags_) {
    if (flag.required)
      out += " --" + flag.name + (flag.is_switch() ? "" : " " + flag.value_name);
    else
      optional = true;
  }
  if (optional)
    out += " [options]";
  out += "\n\n" + summary_ + "\n";
  if (flags_.empty())
    return out;
  out += "\noptions (--name value or --name=value):\n";
  for (const Flag& flag : flags_) {
    std::string left = "  --" + flag.name + (flag.value_name.empty() ? "" : " " + flag.value_name);
    if (left.size() < 26)
      left.resize(26, ' ');
    else
      left += "  ";
    out += left + flag.help;
    if (!flag.default_value.empty())
      out += " (default " + flag.default_value + ")";
    out += '\n';
  }
  return out;
}

} // namespace tapegrad::examples

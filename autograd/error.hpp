#pragma once
// Every error tapegrad raises derives from tapegrad::Error. Its message names the op, what it was
// given and what it expected, so a binary can print it as one `error:` line.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace tapegrad {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error with an fmt-formatted message: fail("{}: expected {}, got {}", op, a, b).
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

} // namespace tapegrad

#include "common/json.hpp"

#include "common/io.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tapegrad::examples {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\')
      out += {'\\', c};
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else
      out += c; // UTF-8 passes through: JSON text is UTF-8
  }
  return out + "\"";
}

std::string json_number(double value) {
  return std::isfinite(value) ? format_number(value) : "null";
}

std::string json_object(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out = "{";
  for (const auto& [key, value] : members)
    out += (out.size() > 1 ? ", " : "") + json_string(key) + ": " + value;
  return out + "}";
}

std::string json_array(const std::vector<std::string>& encoded) {
  std::string out = "[";
  for (const std::string& value : encoded)
    out += (out.size() > 1 ? ", " : "") + value;
  return out + "]";
}

} // namespace tapegrad::examples

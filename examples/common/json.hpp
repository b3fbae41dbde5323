#pragma once
// The little JSON the `mdn` command prints (--json, --log): strings escaped as RFC 8259 asks, and
// numbers in the fixed format of io.hpp, null where a number is not finite.
#include <string>
#include <string_view>
#include <vector>

namespace tapegrad::examples {

std::string json_string(std::string_view text);
std::string json_number(double value);
// {"a": 1, "b": "x"} from keys and already-encoded values, in the order given.
std::string json_object(const std::vector<std::pair<std::string, std::string>>& members);
std::string json_array(const std::vector<std::string>& encoded);

} // namespace tapegrad::examples

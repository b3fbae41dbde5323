#pragma once
// Writing output files so that a failure never leaves half of one behind: the bytes go to a
// temporary file next to the target, which is renamed over it only once it is complete. "-" is
// standard output.
#include <filesystem>
#include <string>
#include <string_view>

namespace tapegrad::examples {

void write_file_atomic(const std::string& path, std::string_view content);

// Creates `dir` (and its parents) if needed; throws naming it when that is impossible.
void ensure_directory(const std::filesystem::path& dir);

// Fixed formatting for every number we write, so that the same run gives the same bytes.
std::string format_number(double value);

} // namespace tapegrad::examples

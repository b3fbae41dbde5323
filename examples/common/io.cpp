#include "common/io.hpp"

#include <autograd/error.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace tapegrad::examples {

void write_file_atomic(const std::string& path, std::string_view content) {
  if (path == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    return;
  }
  if (path.empty())
    fail("an output path is empty; expected a file name or '-' for standard output");
  const std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail("cannot write '{}': {}", path, std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      fail("cannot write '{}': {}", path, std::strerror(errno));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temp.c_str());
    fail("cannot write '{}': {}", path, std::strerror(error));
  }
}

void ensure_directory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir))
    fail("cannot create the output directory '{}': {}", dir.string(),
         error ? error.message() : "a file of that name is in the way");
}

std::string format_number(double value) {
  // 7 significant digits hold a float exactly enough for plots and CSVs; "-0" reads as "0".
  if (value == 0)
    return "0";
  return fmt::format("{:.7g}", value);
}

} // namespace tapegrad::examples

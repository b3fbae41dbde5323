#pragma once
// The readers under fuzz take a file name, so each input is written to a scratch file first (one
// per process, so that parallel fuzzer jobs do not share it).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace tapegrad::fuzz {

inline const std::string& scratch_file(const char* name) {
  static const std::string path =
      (std::filesystem::temp_directory_path() /
       (std::string("tapegrad_") + name + "_" + std::to_string(::getpid())))
          .string();
  return path;
}

inline void write_bytes(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write the scratch file %s\n", path.c_str());
    std::abort();
  }
}

// A broken promise of the reader (not an input error): report it as a crash.
#define TAPEGRAD_FUZZ_CHECK(condition)                                                             \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz: check failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__);    \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)

} // namespace tapegrad::fuzz

#pragma once
// Runs a built example binary as a user would, capturing its exit status and output, for the
// end-to-end tests of the `mdn` command and the examples.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace tapegrad::test {

struct Run {
  int status = -1;
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  const std::string text = read_text(path);
  return {text.begin(), text.end()};
}

// A fresh scratch directory per test case, named by the process and the case.
inline std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("tapegrad_e2e_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// `binary` is a file name under the build's examples/ folder; `args` go to the shell as given.
inline Run run_binary(const std::string& binary, const std::string& args,
                      const std::filesystem::path& dir) {
  const std::string exe = std::string(TAPEGRAD_EXAMPLES_DIR) + "/" + binary;
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string command = "cd '" + dir.string() + "' && '" + exe + "' " + args + " >'" +
                              out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(command.c_str());
  Run run;
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = read_text(out);
  run.err = read_text(err);
  return run;
}

} // namespace tapegrad::test

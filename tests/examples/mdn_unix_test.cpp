// `mdn` keeps Unix manners: --version, --opt=value, `mdn help CMD`, a man page and a bash
// completion made from the same option tables as --help, and `cmake --install` installing the
// command beside the library.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <regex>
#include <set>

using namespace tapegrad;
using test::run_binary;

namespace {

const std::vector<std::string> kCommands{"fit",  "eval", "predict", "sample",     "plot", "report",
                                         "demo", "help", "version", "completion", "man"};

void write_sine(const std::filesystem::path& path) {
  Generator gen(5);
  std::string out = "x,t\n";
  for (int i = 0; i < 200; ++i) {
    const double x = gen.uniform() * 2 - 1;
    out += fmt::format("{:.5f},{:.5f}\n", x, std::sin(3 * x) + 0.1 * gen.uniform());
  }
  std::ofstream(path) << out;
}

// The flags a command's --help lists: "  --name" at the start of a line.
std::set<std::string> listed_flags(const std::string& help) {
  std::set<std::string> flags;
  const std::regex option(R"(\n  --([a-z0-9-]+))");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option);
       it != std::sregex_iterator(); ++it)
    flags.insert((*it)[1]);
  return flags;
}

// What bash completes for a command line split into words as bash splits it (at '=' too), the
// last word being the one completed.
std::string complete(const std::vector<std::string>& words, const std::filesystem::path& dir) {
  std::string script = "source mdn.bash\nCOMP_WORDS=(";
  for (const std::string& w : words)
    script += " '" + w + "'";
  script += fmt::format(")\nCOMP_CWORD={}\n_mdn\necho \"${{COMPREPLY[*]}}\"\n", words.size() - 1);
  std::ofstream(dir / "complete.sh") << script;
  const std::string command = "cd '" + dir.string() + "' && bash complete.sh >completion.txt 2>&1";
  (void)std::system(command.c_str());
  std::string text = test::read_text(dir / "completion.txt");
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

} // namespace

TEST_CASE("mdn --version and mdn version print the version; mdn help CMD is CMD --help",
          "[examples][mdn_command][unix]") {
  const auto dir = test::scratch("unix_version");
  for (const char* args : {"--version", "version", "-V"}) {
    const test::Run run = run_binary("mdn", args, dir);
    INFO(args);
    CHECK(run.status == 0);
    CHECK(std::regex_match(run.out, std::regex(R"(mdn \(tapegrad\) [0-9]+\.[0-9]+\.[0-9]+\n)")));
  }
  const test::Run overview = run_binary("mdn", "help", dir);
  CHECK(overview.status == 0);
  CHECK(overview.out == run_binary("mdn", "--help", dir).out);
  for (const std::string& command : kCommands) {
    INFO(command);
    CHECK(overview.out.find("\n  " + command + " ") != std::string::npos);
    const test::Run help = run_binary("mdn", "help " + command, dir);
    CHECK(help.status == 0);
    CHECK(help.out.rfind("usage: mdn " + command, 0) == 0);
    CHECK(help.out == run_binary("mdn", command + " --help", dir).out);
  }
}

TEST_CASE("mdn takes --opt=value as --opt value, the same bytes either way",
          "[examples][mdn_command][unix]") {
  const auto dir = test::scratch("unix_equals");
  write_sine(dir / "train.csv");
  const test::Run spaced = run_binary(
      "mdn",
      "fit --data train.csv --epochs 4 --hidden 8,8 --components 2 --batch 50 --quiet --out a.tgm",
      dir);
  INFO(spaced.err);
  REQUIRE(spaced.status == 0);
  const test::Run joined = run_binary("mdn",
                                      "fit --data=train.csv --epochs=4 --hidden=8,8 "
                                      "--components=2 --batch=50 --quiet --out=b.tgm",
                                      dir);
  INFO(joined.err);
  REQUIRE(joined.status == 0);
  CHECK(test::read_text(dir / "a.tgm") == test::read_text(dir / "b.tgm"));
  CHECK(joined.out == fmt::format("{}", spaced.out).replace(spaced.out.find("a.tgm"), 5, "b.tgm"));
  // A value may itself hold '=': everything after the first one is the value.
  const test::Run title =
      run_binary("mdn", "plot --model a.tgm --data train.csv --title='a=b' --out p.svg", dir);
  REQUIRE(title.status == 0);
  CHECK(test::read_text(dir / "p.svg").find(">a=b</text>") != std::string::npos);
}

TEST_CASE("the man page and the bash completion list every flag of every command's --help",
          "[examples][mdn_command][unix]") {
  const auto dir = test::scratch("unix_docs");
  const test::Run man = run_binary("mdn", "man", dir);
  REQUIRE(man.status == 0);
  CHECK(man.out.rfind(".TH MDN 1 ", 0) == 0);
  REQUIRE(run_binary("mdn", "completion bash --out mdn.bash", dir).status == 0);
  const std::string completion = test::read_text(dir / "mdn.bash");
  CHECK(completion.find("complete -o filenames -F _mdn mdn") != std::string::npos);
  // The build made the same two files beside the binary, for `cmake --install`.
  CHECK(test::read_text(std::string(TAPEGRAD_EXAMPLES_DIR) + "/mdn.1") == man.out);
  CHECK(test::read_text(std::string(TAPEGRAD_EXAMPLES_DIR) + "/mdn.bash-completion") == completion);
  for (const std::string& command : kCommands) {
    const std::string help = run_binary("mdn", command + " --help", dir).out;
    CHECK(man.out.find(".SS \"mdn " + command) != std::string::npos);
    for (const std::string& flag : listed_flags(help)) {
      INFO(command << " --" << flag);
      std::string in_roff = "\\-\\-" + flag;
      for (std::size_t at = 4; (at = in_roff.find('-', at)) != std::string::npos; at += 2)
        in_roff.replace(at, 1, "\\-");
      CHECK(man.out.find(in_roff) != std::string::npos);
      CHECK(completion.find(" --" + flag) != std::string::npos);
    }
  }
  if (std::system("command -v bash >/dev/null 2>&1") != 0) {
    WARN("bash is not installed: the completion script was not run");
    return;
  }
  CHECK(complete({"mdn", "fi"}, dir) == "fit");
  CHECK(complete({"mdn", "fit", "--noi"}, dir) == "--noise --noise-reg");
  CHECK(complete({"mdn", "fit", "--ens"}, dir) == "--ensemble");
  CHECK(complete({"mdn", "fit", "--noise", "di"}, dir) == "diagonal");
  CHECK(complete({"mdn", "fit", "--activation", "=", "re"}, dir) == "relu");
  CHECK(complete({"mdn", "help", "rep"}, dir) == "report");
  CHECK(complete({"mdn", "completion", ""}, dir) == "bash");
  CHECK(complete({"mdn", "eval", "--data", "mdn.ba"}, dir) == "mdn.bash");
  CHECK(complete({"mdn", "fit", "--epochs", ""}, dir).empty()); // a number: nothing to suggest
}

TEST_CASE("cmake --install installs mdn, its man page and its completion with the library",
          "[examples][mdn_command][unix][install]") {
  const auto dir = test::scratch("unix_install");
  const std::filesystem::path build = std::filesystem::path(TAPEGRAD_EXAMPLES_DIR).parent_path();
  const auto prefix = dir / "prefix";
  const std::string command = "cmake --install '" + build.string() + "' --prefix '" +
                              prefix.string() + "' >'" + (dir / "install.txt").string() + "' 2>&1";
  INFO(test::read_text(dir / "install.txt"));
  REQUIRE(std::system(command.c_str()) == 0);
  CHECK(std::filesystem::exists(prefix / "share/man/man1/mdn.1"));
  CHECK(std::filesystem::exists(prefix / "share/bash-completion/completions/mdn"));
  CHECK(std::filesystem::exists(prefix / "include/tapegrad/mdn/fit.hpp"));
  // The installed program runs on its own, from anywhere.
  const std::string run = "cd / && '" + (prefix / "bin/mdn").string() + "' --version >'" +
                          (dir / "version.txt").string() + "' 2>&1";
  CHECK(std::system(run.c_str()) == 0);
  CHECK(test::read_text(dir / "version.txt").rfind("mdn (tapegrad) ", 0) == 0);
}

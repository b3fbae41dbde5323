// The man page and the bash completion of `mdn`, made from the command table and each command's
// flags (commands.hpp), the same ones --help prints: a new flag appears in all three at once.
#include "mdn_cli/commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tapegrad::examples {

namespace {

// Text for roff: a backslash is \e, a hyphen in an option \-, and a line may not start with a
// control character ('.' or ').
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\''))
      out += "\\&";
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string synopsis(const Command& c, const Args& args) {
  std::string out = "mdn " + c.name + (c.positional.empty() ? "" : " " + c.positional);
  bool optional = false;
  for (const Flag& f : args.flags()) {
    if (f.required)
      out += " --" + f.name + (f.is_switch() ? "" : " " + f.value_name);
    else
      optional = true;
  }
  return out + (optional ? " [options]" : "");
}

// A choice bash can insert as it is (no ',' or ';', which the shell would read otherwise).
bool plain_word(const std::string& word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

} // namespace

std::string man_page() {
  std::string out = fmt::format(".TH MDN 1 \"\" \"{}\" \"User Commands\"\n", roff(version_line()));
  out += ".SH NAME\nmdn \\- conditional densities p(y | x) for CSV files with mixture density "
         "networks\n";
  out += ".SH SYNOPSIS\n.B mdn\n.I command\n.RI [ options ]\n.br\n.B mdn \\-\\-version\n.br\n"
         ".B mdn help\n.RI [ command ]\n";
  out += ".SH DESCRIPTION\n" +
         roff("mdn fits a mixture density network (Bishop 1994) to columns of a CSV file: for "
              "each input x a whole conditional density p(y | x), a mixture of Gaussians whose "
              "weights, means and scales are outputs of a neural network. The model file it "
              "writes keeps the standardisation of the data and the training curves, so that "
              "predictions, samples, metrics and reports come out in the data's units.\n") +
         ".PP\n" +
         roff("Options are written --name value or --name=value. Every NLL mdn prints is the "
              "mean negative log-likelihood in nats per point, in the units of y.\n");
  out += ".SH COMMANDS\n";
  for (const Command& c : commands()) {
    const Args args = c.flags();
    out += ".SS \"" + roff(synopsis(c, args)) + "\"\n";
    out += roff(args.summary()) + "\n";
    for (const Flag& f : args.flags()) {
      // .TP, then the tag line: the option in bold and its value in italics.
      if (f.is_switch()) {
        out += ".TP\n.B \\-\\-";
        out += roff(f.name);
      } else {
        out += ".TP\n.BI \\-\\-";
        out += roff(f.name);
        out += " \" ";
        out += roff(f.value_name);
        out += '"';
      }
      out += '\n';
      out += roff(f.help);
      if (f.required)
        out += " (required)";
      else if (!f.default_value.empty())
        out += roff(" (default " + f.default_value + ")");
      out += "\n";
    }
  }
  out += ".SH CSV FILES\n" +
         roff("A header row names the columns; --x and --y choose them (y defaults to the last "
              "column, x to all others). The delimiter is a comma, a semicolon or a tab, "
              "detected from the header (--delimiter forces one); with semicolons a decimal "
              "comma is read too. Fields may be quoted as RFC 4180 says (\"0.5\", \"a,b\", "
              "doubled quotes); line ends may be LF or CRLF; a UTF-8 byte-order mark is "
              "dropped and names are UTF-8. A first column without a name holds row names (R's "
              "write.csv, pandas' to_csv) and is skipped. An empty cell, NA, N/A, NaN, NULL or "
              "None is a missing value: an error naming file:line:column, unless --drop-na "
              "skips those rows. Columns that are not used may hold anything.\n");
  out += ".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n2\n" +
         roff("bad input: one line on standard error, starting with error:, naming the file "
              "(with line:column for CSV data) or the flag, and what was expected; no output "
              "file is left half-written\n") +
         ".TP\n130, 143\n" +
         roff("SIGINT or SIGTERM stopped mdn fit, after saving a checkpoint (mdn fit --resume "
              "continues it)\n");
  out += ".SH EXAMPLES\n.nf\n" +
         roff("mdn fit --data train.csv --y price --components 1,2,4,8 --out model.tgm\n"
              "mdn eval --model model.tgm --data test.csv --json\n"
              "mdn report --model model.tgm --data test.csv --out report.html\n"
              "mdn sample --model model.tgm --data new.csv --n 100 --out samples.csv\n") +
         ".fi\n";
  out += ".SH SEE ALSO\n" + roff("The README of tapegrad, and mdn/README.md for the maths.\n");
  return out;
}

std::string bash_completion() {
  std::string names;
  for (const Command& c : commands())
    names += (names.empty() ? "" : " ") + c.name;
  std::string out =
      "# bash completion for mdn, generated by `" + std::string("mdn completion bash") +
      "` from the option tables --help prints.\n"
      "_mdn() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      "  # --name=value: bash splits at '=', so the option is two words back.\n"
      "  if [[ $prev == = && $COMP_CWORD -ge 3 ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; "
      "fi\n"
      "  [[ $cur == = ]] && cur=\n"
      "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
      "    COMPREPLY=($(compgen -W \"" +
      names +
      " --help --version\" -- \"$cur\"))\n"
      "    return\n"
      "  fi\n"
      "  case ${COMP_WORDS[1]} in\n";
  for (const Command& c : commands()) {
    const Args args = c.flags();
    out += "  " + c.name + ")\n";
    if (c.name == "help")
      out += "    [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W \"" + names +
             "\" -- \"$cur\")) && return\n";
    if (c.name == "completion")
      out += "    [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W \"bash\" -- \"$cur\")) && "
             "return\n";
    std::string files, dirs, free, flags;
    std::string choices;
    for (const Flag& f : args.flags()) {
      flags += " --" + f.name;
      if (f.is_switch())
        continue;
      std::vector<std::string> words;
      for (const std::string& choice : f.choices)
        if (plain_word(choice))
          words.push_back(choice);
      if (!words.empty())
        choices += fmt::format("      --{}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); "
                               "return ;;\n",
                               f.name, fmt::join(words, " "));
      else if (f.value_name == "FILE")
        files += (files.empty() ? "--" : "|--") + f.name;
      else if (f.value_name == "DIR")
        dirs += (dirs.empty() ? "--" : "|--") + f.name;
      else
        free += (free.empty() ? "--" : "|--") + f.name;
    }
    out += "    case $prev in\n" + choices;
    if (!files.empty())
      out += "      " + files + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    if (!dirs.empty())
      out += "      " + dirs + ") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n";
    if (!free.empty())
      out += "      " + free + ") return ;; # a number or a list: nothing to suggest\n";
    out += "    esac\n";
    out += "    COMPREPLY=($(compgen -W \"" + flags.substr(flags.empty() ? 0 : 1) +
           " --help\" -- \"$cur\"))\n    ;;\n";
  }
  out += "  esac\n}\ncomplete -o filenames -F _mdn mdn\n";
  return out;
}

} // namespace tapegrad::examples

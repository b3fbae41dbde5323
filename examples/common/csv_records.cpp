#include "common/csv_records.hpp"

#include <autograd/error.hpp>

#include <array>

namespace tapegrad::examples {

namespace {

bool is_blank(char c, char delimiter) {
  return (c == ' ' || c == '\t') && c != delimiter;
}

std::string trim(std::string_view s, char delimiter) {
  std::size_t first = 0, last = s.size();
  while (first < last && is_blank(s[first], delimiter))
    ++first;
  while (last > first && is_blank(s[last - 1], delimiter))
    --last;
  return std::string(s.substr(first, last - first));
}

} // namespace

std::string_view strip_byte_order_mark(std::string_view text, const std::string& source) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return text.substr(3);
  const bool utf16 = text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF";
  if (utf16 || text.find('\0') != std::string_view::npos)
    fail("{}: the file is {}; expected UTF-8 text (save it as \"CSV UTF-8\")", source,
         utf16 ? "UTF-16 text" : "binary or UTF-16 text (it holds NUL bytes)");
  return text;
}

char detect_delimiter(std::string_view text) {
  std::array<std::size_t, 3> counts{}; // ',', ';', tab
  bool quoted = false, content = false;
  for (const char c : text) {
    if (c == '"')
      quoted = !quoted;
    if (quoted)
      continue;
    if (c == '\n' || c == '\r') {
      if (content)
        break; // the end of the first line that is not blank
      continue;
    }
    content = content || c != ' ';
    counts[0] += c == ',';
    counts[1] += c == ';';
    counts[2] += c == '\t';
  }
  if (counts[1] > counts[0] && counts[1] >= counts[2])
    return ';';
  if (counts[2] > counts[0] && counts[2] > counts[1])
    return '\t';
  return ',';
}

std::string delimiter_name(char delimiter) {
  if (delimiter == ',')
    return "comma";
  if (delimiter == ';')
    return "semicolon";
  if (delimiter == '\t')
    return "tab";
  return fmt::format("'{}'", delimiter);
}

void for_each_record(std::string_view text, char delimiter, const std::string& source,
                     const std::function<void(const std::vector<Field>&)>& record) {
  std::vector<Field> fields;
  std::int64_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  const auto at_end_of_line = [&](std::size_t j) {
    return j == n || text[j] == '\n' || text[j] == '\r';
  };
  while (i < n) {
    // One record: fields until an unquoted line break.
    fields.clear();
    while (true) {
      Field field;
      field.line = line;
      std::size_t j = i;
      while (j < n && is_blank(text[j], delimiter))
        ++j;
      if (j < n && text[j] == '"') {
        const std::int64_t open_line = line;
        field.quoted = true;
        ++j;
        while (true) {
          if (j == n)
            fail("{}:{}:{}: a quoted field is never closed; expected a closing '\"'", source,
                 open_line, fields.size() + 1);
          const char c = text[j];
          if (c == '"') {
            if (j + 1 < n && text[j + 1] == '"') {
              field.text += '"';
              j += 2;
              continue;
            }
            ++j;
            break;
          }
          if (c == '\n' || (c == '\r' && (j + 1 == n || text[j + 1] != '\n')))
            ++line;
          field.text += c;
          ++j;
        }
        while (j < n && is_blank(text[j], delimiter))
          ++j;
        if (!at_end_of_line(j) && text[j] != delimiter)
          fail("{}:{}:{}: text after the closing quote of a field; expected {} or the end of "
               "the line (a quote inside a quoted field is written \"\")",
               source, line, fields.size() + 1, delimiter_name(delimiter));
      } else {
        std::size_t end = i;
        while (!at_end_of_line(end) && text[end] != delimiter)
          ++end;
        field.text = trim(text.substr(i, end - i), delimiter);
        j = end;
      }
      fields.push_back(std::move(field));
      if (j < n && text[j] == delimiter) {
        i = j + 1;
        continue;
      }
      i = j;
      break;
    }
    // The line break that ended the record.
    if (i < n) {
      if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')
        i += 2;
      else
        ++i;
      ++line;
    }
    const bool blank = fields.size() == 1 && !fields[0].quoted && fields[0].text.empty();
    if (!blank)
      record(fields);
  }
}

} // namespace tapegrad::examples

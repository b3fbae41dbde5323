#pragma once
// The records of a CSV text as RFC 4180 defines them, and as pandas' read_csv and R's read.csv
// read them: fields separated by one delimiter character, records by LF, CRLF or CR; a field in
// double quotes may hold the delimiter, line breaks and doubled quotes (""). Unquoted fields lose
// their surrounding spaces; blank lines are skipped. A UTF-8 byte-order mark is dropped, and a
// UTF-16 one is an error (the text must be UTF-8).
//
//   for_each_record(text, ',', "data.csv", [&](const std::vector<Field>& record) { ... });
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tapegrad::examples {

struct Field {
  std::string text;      // unquoted, with "" turned into "
  bool quoted = false;   // it was written in double quotes
  std::int64_t line = 0; // where it starts, counted from 1
};

// Calls `record` for each non-blank record in order. Throws an Error naming
// `source:line:column` for a quote that is never closed or text after a closing quote.
void for_each_record(std::string_view text, char delimiter, const std::string& source,
                     const std::function<void(const std::vector<Field>&)>& record);

// The text without a leading UTF-8 byte-order mark; an Error naming `source` for UTF-16 or
// UTF-32 text (a byte-order mark of theirs, or NUL bytes).
std::string_view strip_byte_order_mark(std::string_view text, const std::string& source);

// The delimiter of a file: whichever of ',', ';' and tab occurs most often outside quotes on the
// first non-blank line (',' on a tie or when none does).
char detect_delimiter(std::string_view text);

// "comma", "semicolon", "tab", or the character in quotes: for messages.
std::string delimiter_name(char delimiter);

} // namespace tapegrad::examples

#pragma once
// A small, strict check that a text is well-formed XML (XML 1.0, section 2), enough to prove that
// the HTML page of `mdn report`, written as XHTML, parses as XML without any extra package:
// one root element, every tag closed in order, attributes quoted and not repeated, only the five
// predefined entities and character references, no stray '<' or '&', comments and CDATA closed.
// Returns an empty string when the text is well-formed, otherwise what is wrong and where.
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tapegrad::test {

class XmlChecker {
public:
  explicit XmlChecker(std::string_view text) : s_(text) {}

  std::string check() {
    try {
      prolog();
      if (at_end())
        return problem("no root element");
      element();
      misc();
      if (!at_end())
        return problem("content after the root element");
    } catch (const std::string& message) {
      return message;
    }
    return {};
  }

private:
  [[noreturn]] void fail(const std::string& what) const { throw problem(what); }

  std::string problem(const std::string& what) const {
    std::size_t line = 1;
    for (std::size_t i = 0; i < i_ && i < s_.size(); ++i)
      line += s_[i] == '\n';
    return "line " + std::to_string(line) + ": " + what;
  }

  bool at_end() const { return i_ >= s_.size(); }
  bool starts(std::string_view token) const { return s_.substr(i_, token.size()) == token; }
  void expect(std::string_view token) {
    if (!starts(token))
      fail("expected '" + std::string(token) + "'");
    i_ += token.size();
  }
  void spaces() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  // Skips to just past `end`, failing at the end of the text.
  void until(std::string_view end, const char* what) {
    const std::size_t at = s_.find(end, i_);
    if (at == std::string_view::npos)
      fail(std::string(what) + " never closed");
    i_ = at + end.size();
  }

  static bool name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  static bool name_char(char c) {
    return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  }
  std::string name() {
    if (at_end() || !name_start(s_[i_]))
      fail("expected a name");
    const std::size_t start = i_;
    while (!at_end() && name_char(s_[i_]))
      ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  // &amp; &lt; &gt; &quot; &apos; &#NN; &#xHH;
  void reference() {
    expect("&");
    if (starts("#x")) {
      i_ += 2;
      const std::size_t start = i_;
      while (!at_end() && std::isxdigit(static_cast<unsigned char>(s_[i_])))
        ++i_;
      if (i_ == start)
        fail("an empty character reference");
    } else if (starts("#")) {
      ++i_;
      const std::size_t start = i_;
      while (!at_end() && std::isdigit(static_cast<unsigned char>(s_[i_])))
        ++i_;
      if (i_ == start)
        fail("an empty character reference");
    } else {
      const std::string entity = name();
      static const std::set<std::string> known{"amp", "lt", "gt", "quot", "apos"};
      if (known.count(entity) == 0)
        fail("the entity &" + entity + "; is not one of XML's five");
    }
    expect(";");
  }

  void misc() {
    while (true) {
      spaces();
      if (starts("<!--"))
        comment();
      else if (starts("<?"))
        until("?>", "a processing instruction");
      else
        return;
    }
  }
  void comment() {
    i_ += 4;
    const std::size_t at = s_.find("--", i_);
    if (at == std::string_view::npos || s_.substr(at, 3) != "-->")
      fail("a comment holds '--' or is never closed");
    i_ = at + 3;
  }
  void prolog() {
    if (starts("<?xml"))
      until("?>", "the XML declaration");
    misc();
    if (starts("<!DOCTYPE")) {
      i_ += 9;
      spaces();
      name();
      while (!at_end() && s_[i_] != '>') {
        if (s_[i_] == '[' || s_[i_] == '<')
          fail("an internal DTD subset is not supported here");
        ++i_;
      }
      expect(">");
    }
    misc();
  }

  void attributes(std::set<std::string>& seen) {
    while (true) {
      const std::size_t before = i_;
      spaces();
      if (starts(">") || starts("/>"))
        return;
      if (i_ == before)
        fail("expected white space between attributes");
      const std::string key = name();
      if (!seen.insert(key).second)
        fail("the attribute '" + key + "' appears twice");
      spaces();
      expect("=");
      spaces();
      if (at_end() || (s_[i_] != '"' && s_[i_] != '\''))
        fail("the value of '" + key + "' is not quoted");
      const char quote = s_[i_++];
      while (!at_end() && s_[i_] != quote) {
        if (s_[i_] == '<')
          fail("a '<' in the value of '" + key + "'");
        if (s_[i_] == '&')
          reference();
        else
          ++i_;
      }
      expect(std::string_view(&quote, 1));
    }
  }

  void element() {
    expect("<");
    const std::string tag = name();
    std::set<std::string> seen;
    attributes(seen);
    if (starts("/>")) {
      i_ += 2;
      return;
    }
    expect(">");
    while (true) {
      if (at_end())
        fail("<" + tag + "> is never closed");
      if (starts("</")) {
        i_ += 2;
        const std::string closing = name();
        if (closing != tag)
          fail("</" + closing + "> closes <" + tag + ">");
        spaces();
        expect(">");
        return;
      }
      if (starts("<!--"))
        comment();
      else if (starts("<![CDATA["))
        until("]]>", "a CDATA section");
      else if (starts("<?"))
        until("?>", "a processing instruction");
      else if (starts("<"))
        element();
      else if (starts("&"))
        reference();
      else if (starts("]]>"))
        fail("']]>' in text");
      else
        ++i_;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

inline std::string xml_problem(std::string_view text) {
  return XmlChecker(text).check();
}

} // namespace tapegrad::test

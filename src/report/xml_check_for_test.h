// A strict little XML well-formedness check for the report's tests: tags
// nest and close, attribute values are quoted, no attribute repeats, and
// every '&' starts a known entity. Header-only: only tests include it.
#pragma once

#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hotmem::report::testing {

// Empty when `doc` is one well-formed element; otherwise what is wrong.
inline std::string xml_problem(std::string_view doc) {
  std::vector<std::string> open;
  std::size_t i = 0;
  int roots = 0;
  const auto at = [&i](std::string_view what) { return std::string(what) + " at offset " + std::to_string(i); };
  const auto entity_ok = [&doc](std::size_t amp) {
    const std::size_t semi = doc.find(';', amp);
    if (semi == std::string_view::npos || semi - amp > 10) return false;
    const std::string_view name = doc.substr(amp + 1, semi - amp - 1);
    if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") return true;
    if (name.size() < 2 || name[0] != '#') return false;
    for (std::size_t k = 1; k < name.size(); ++k) {
      if (!std::isdigit(static_cast<unsigned char>(name[k]))) return false;
    }
    return true;
  };
  const auto is_name = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':'; };
  while (i < doc.size()) {
    const char c = doc[i];
    if (c == '&') {
      if (!entity_ok(i)) return at("bad entity");
      ++i;
      continue;
    }
    if (c == '>') return at("stray '>'");
    if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c))) return at("text outside the root");
      ++i;
      continue;
    }
    ++i;
    const bool closing = i < doc.size() && doc[i] == '/';
    if (closing) ++i;
    const std::size_t name_start = i;
    while (i < doc.size() && is_name(doc[i])) ++i;
    const std::string name(doc.substr(name_start, i - name_start));
    if (name.empty()) return at("tag without a name");
    if (closing) {
      if (open.empty() || open.back() != name) return at("</" + name + "> closes nothing open");
      open.pop_back();
      if (i >= doc.size() || doc[i] != '>') return at("junk in a closing tag");
      ++i;
      continue;
    }
    std::set<std::string> attributes;
    bool self_closing = false;
    while (true) {
      while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i;
      if (i >= doc.size()) return at("unterminated tag <" + name);
      if (doc[i] == '>') {
        ++i;
        break;
      }
      if (doc[i] == '/') {
        if (i + 1 >= doc.size() || doc[i + 1] != '>') return at("'/' inside a tag");
        i += 2;
        self_closing = true;
        break;
      }
      const std::size_t attr_start = i;
      while (i < doc.size() && is_name(doc[i])) ++i;
      const std::string attr(doc.substr(attr_start, i - attr_start));
      if (attr.empty()) return at("bad attribute in <" + name);
      if (!attributes.insert(attr).second) return at("repeated attribute " + attr);
      if (i + 1 >= doc.size() || doc[i] != '=' || (doc[i + 1] != '"' && doc[i + 1] != '\'')) {
        return at("unquoted attribute " + attr);
      }
      const char quote = doc[i + 1];
      i += 2;
      while (i < doc.size() && doc[i] != quote) {
        if (doc[i] == '<') return at("'<' in attribute " + attr);
        if (doc[i] == '&' && !entity_ok(i)) return at("bad entity in attribute " + attr);
        ++i;
      }
      if (i >= doc.size()) return at("unterminated attribute " + attr);
      ++i;
    }
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return "expected one root element, found " + std::to_string(roots);
  return "";
}

}  // namespace hotmem::report::testing

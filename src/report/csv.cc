#include "report/csv.h"

namespace hotmem::report {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  return out + "\r\n";
}

std::string csv_cell(const nlohmann::ordered_json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    bool first = true;
    for (const auto& element : value) {
      if (!first) out += ';';
      first = false;
      out += element.is_array() ? element.dump() : csv_cell(element);
    }
    return out;
  }
  return value.dump();  // numbers (round-trip precision), booleans, objects
}

}  // namespace hotmem::report

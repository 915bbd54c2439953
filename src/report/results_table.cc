#include "report/results_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/number_format.h"
#include "report/xml.h"

namespace hotmem::report {
namespace {

// Samples lists (reclaim_ms_all, ...) can be long; the CSV keeps them whole.
constexpr std::size_t kMaxListItems = 12;

bool is_numeric(const Json& value) {
  if (value.is_number()) return true;
  return value.is_array() && !value.empty() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_number(); });
}

}  // namespace

std::vector<std::string> table_columns(const std::vector<const Json*>& rows, const std::vector<std::string>& first) {
  std::vector<std::string> columns;
  for (const std::string& key : first) {
    const bool present = std::any_of(rows.begin(), rows.end(), [&key](const Json* row) { return row->contains(key); });
    if (present) columns.push_back(key);
  }
  for (const Json* row : rows) {
    for (const auto& [key, value] : row->items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
  }
  return columns;
}

std::string cell_text(const Json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number()) return format_number(value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_null()) return "";
  if (value.is_array()) {
    std::string out;
    std::size_t shown = 0;
    for (const Json& element : value) {
      if (shown == kMaxListItems) return out + fmt::format(", \u2026 ({} in all)", value.size());
      if (shown++ > 0) out += ", ";
      out += element.is_array() || element.is_object() ? element.dump() : cell_text(element);
    }
    return out;
  }
  return value.dump();
}

std::string html_table(const std::vector<Json>& rows, const std::vector<std::string>& columns) {
  std::string out = "<table class=\"results\">\n<thead><tr>";
  for (const std::string& column : columns) out += fmt::format("<th>{}</th>", xml_escape(column));
  out += "</tr></thead>\n<tbody>\n";
  for (const Json& row : rows) {
    out += "<tr>";
    for (const std::string& column : columns) {
      const auto it = row.find(column);
      if (it == row.end()) {
        out += "<td></td>";
        continue;
      }
      out += fmt::format("<td{}>{}</td>", is_numeric(*it) ? " class=\"num\"" : "", xml_escape(cell_text(*it)));
    }
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

}  // namespace hotmem::report

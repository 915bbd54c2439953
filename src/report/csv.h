// CSV as RFC 4180 has it: a field holding a comma, a double quote, CR or LF
// is quoted, with its quotes doubled; every line ends in CRLF.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hotmem::report {

std::string csv_field(std::string_view text);

// The fields, quoted as needed, joined with commas, ending in CRLF.
std::string csv_line(const std::vector<std::string>& fields);

// A JSON value as one unquoted CSV field: strings as they are, numbers in
// full precision, lists joined with ';', null as empty, objects as JSON.
std::string csv_cell(const nlohmann::ordered_json& value);

}  // namespace hotmem::report

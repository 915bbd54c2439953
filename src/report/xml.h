// Text and attribute values for SVG and HTML, which share XML's escaping.
#pragma once

#include <string>
#include <string_view>

namespace hotmem::report {

// Escapes & < > " ' and replaces the control characters XML forbids (all
// below 0x20 but tab, LF and CR) with '?', so any string read from a result
// file is safe inside an element or a quoted attribute.
std::string xml_escape(std::string_view text);

}  // namespace hotmem::report

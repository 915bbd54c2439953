// The rows of a result file as a table: which columns, in which order, and
// how each value reads in the HTML page.
#pragma once

#include <string>
#include <vector>

#include "report/result_files.h"

namespace hotmem::report {

// The keys of `rows`: those in `first` that any row has, in that order, then
// the others in the order they first appear.
std::vector<std::string> table_columns(const std::vector<const Json*>& rows, const std::vector<std::string>& first);

// A value as table text: numbers via format_number (whole numbers exact),
// lists comma-separated (long ones cut short), null and missing as empty.
// Not escaped.
std::string cell_text(const Json& value);

// <table class="results"> with a header row and one row per result; numeric
// cells are right-aligned.
std::string html_table(const std::vector<Json>& rows, const std::vector<std::string>& columns);

}  // namespace hotmem::report

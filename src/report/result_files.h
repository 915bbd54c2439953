// Benchmark result files (docs/results-format.md) read from a directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::report {

// Keys keep the order they have in the file.
using Json = nlohmann::ordered_json;

struct ResultFile {
  std::filesystem::path path;
  std::string benchmark;
  Json host = Json::object();
  Json config = Json::object();
  std::vector<Json> rows;  // each an object
};

struct ResultSet {
  std::vector<ResultFile> files;      // in file name order
  std::vector<std::string> warnings;  // files that were skipped, and why
};

// Parses one result document; nullopt when it is valid JSON but not a
// result at all (not an object with "benchmark", e.g. the `{}` a benchmark
// writes to test its --json path). Bad JSON, or a result document with keys
// of the wrong type, is an Error naming `path`.
Result<std::optional<ResultFile>> parse_result_file(const std::filesystem::path& path, std::string_view text);

// Every *.json directly in `dir`. Files that are not benchmark results are
// skipped with a warning; a malformed result file (bad JSON, wrong types) is
// an Error naming it. A missing directory is an Error; an empty one is not.
Result<ResultSet> load_result_files(const std::filesystem::path& dir);

}  // namespace hotmem::report

#include "report/result_files.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/proc_stats.h"

namespace hotmem::report {
namespace {

// Result files hold a few hundred rows at most; this only bounds a mistake.
constexpr std::size_t kMaxResultFileBytes = 256 << 20;

Json object_member(const Json& document, const char* key, const std::filesystem::path& path, Status& status) {
  const auto it = document.find(key);
  if (it == document.end() || it->is_null()) return Json::object();
  if (!it->is_object()) {
    status = Error(fmt::format("{}: \"{}\" must be an object, not {}", path.string(), key, it->type_name()));
  }
  return *it;
}

}  // namespace

Result<std::optional<ResultFile>> parse_result_file(const std::filesystem::path& path, std::string_view text) {
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Error(fmt::format("{}: malformed JSON: {}", path.string(), e.what()));
  }
  if (!document.is_object() || !document.contains("benchmark")) return std::optional<ResultFile>();
  ResultFile file;
  file.path = path;
  const Json& benchmark = document.at("benchmark");
  if (!benchmark.is_string() || benchmark.get<std::string>().empty()) {
    return Error(fmt::format("{}: \"benchmark\" must be a non-empty string", path.string()));
  }
  file.benchmark = benchmark.get<std::string>();
  Status status;
  file.host = object_member(document, "host", path, status);
  file.config = object_member(document, "config", path, status);
  if (!status) return status.error();
  const auto results = document.find("results");
  if (results == document.end() || !results->is_array()) {
    return Error(fmt::format("{}: \"results\" must be a list of rows", path.string()));
  }
  for (std::size_t i = 0; i < results->size(); ++i) {
    const Json& row = (*results)[i];
    if (!row.is_object()) {
      return Error(fmt::format("{}: results[{}] must be an object, not {}", path.string(), i, row.type_name()));
    }
    file.rows.push_back(row);
  }
  return std::optional<ResultFile>(std::move(file));
}

Result<ResultSet> load_result_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error(fmt::format("{} is not a directory", dir.string()));
  }
  std::vector<std::filesystem::path> paths;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".json" && it->is_regular_file(type_ec)) paths.push_back(it->path());
  }
  if (ec) return Error(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(paths.begin(), paths.end());

  ResultSet set;
  for (const auto& path : paths) {
    auto text = read_text_file(path, kMaxResultFileBytes);
    if (!text) return text.error();
    auto file = parse_result_file(path, *text);
    if (!file) return file.error();
    if (file->has_value()) {
      set.files.push_back(std::move(**file));
    } else {
      set.warnings.push_back(
          fmt::format("skipped {}: not a benchmark result (no \"benchmark\" key)", path.string()));
    }
  }
  return set;
}

}  // namespace hotmem::report

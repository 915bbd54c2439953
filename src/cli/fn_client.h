// `hotmem fn`: a small client of the daemon's native REST API (docs/serve.md).
// What the command line turns into requests, and the requests themselves:
// every 4xx or 5xx, and a daemon that cannot be reached, is an Error whose
// message is the daemon's `detail` (or what failed on the way).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hotmem::cli {

using nlohmann::json;

// `hotmem serve`'s address when run with its defaults.
inline constexpr const char* kDefaultDaemonUrl = "http://127.0.0.1:8080";

struct FnDeployArgs {
  std::string name;
  std::filesystem::path file;        // a .py file: the python runtime, its code
  std::vector<std::string> command;  // or the native runtime's command in the guest
  std::string main;                  // python: the entry point ("main" when empty)
  std::string memory;                // "256M", "1G", a bare number of MiB; empty: the daemon's default
  std::optional<int> concurrency;
  std::optional<int> vcpus;
  std::optional<int> keep_alive_s;
  std::string mode;   // empty: the daemon's default
  std::string model;  // "N:1" or "1:1"; empty: the daemon's default
};

// The body of PUT /v1/functions/{name} (serve/function_spec.h): the file's
// code for a .py file, the command otherwise; one of the two, not both.
Result<json> deploy_body(const FnDeployArgs& args);

// The parameters of an invocation: the --param-file's JSON object, then
// each -p key value over it. A value that is JSON (a number, true, an
// object, a quoted string) is taken as such, anything else as a string,
// as `wsk action invoke -p` does.
Result<json> invoke_params(const std::vector<std::pair<std::string, std::string>>& params,
                           const std::filesystem::path& param_file);

// A daemon at `url` (http://host:port), with a bearer token when not empty.
class FnClient {
 public:
  FnClient(std::string url, std::string token) : url_(std::move(url)), token_(std::move(token)) {}

  // One request; the answer's JSON body on 2xx. Refuses a URL that is not
  // http://host[:port].
  Result<json> request(const std::string& method, const std::string& path, const json& body = nullptr) const;

 private:
  std::string url_;
  std::string token_;
};

// Tables and logs as `hotmem fn` prints them.
std::string format_function_list(const json& listed);
std::string format_activation_list(const json& listed);

}  // namespace hotmem::cli

#include "cli/fn_client.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/size.h"
#include "protocol/messages.h"

namespace hotmem::cli {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 1 << 20;  // more than the daemon takes anyway

Result<std::string> read_small_file(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(fmt::format("cannot read {} {}: {}", what, path.string(), ec.message()));
  if (size > kMaxFileBytes) return Error(fmt::format("{} {} is larger than {} bytes", what, path.string(), kMaxFileBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(fmt::format("cannot open {} {}", what, path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The daemon's words for a failed request: its detail (and its error).
Error daemon_error(const std::string& method, const std::string& path, const httplib::Result& r) {
  const json body = json::parse(r->body, nullptr, false);
  if (body.is_object() && body.contains("detail") && body["detail"].is_string()) {
    const std::string error = body.value("error", "");
    return Error(fmt::format("{} (HTTP {}{}): {}", method + " " + path, r->status,
                             error.empty() ? "" : ", " + error, body["detail"].get<std::string>()));
  }
  return Error(fmt::format("{} {}: HTTP {}: {}", method, path, r->status, r->body.substr(0, 200)));
}

}  // namespace

Result<json> deploy_body(const FnDeployArgs& args) {
  const bool has_file = !args.file.empty();
  if (has_file == !args.command.empty()) {
    return Error("give the function's code as FILE.py, or a native command with --command (one of the two)");
  }
  json body = json::object();
  if (has_file) {
    if (args.file.extension() != ".py") {
      return Error(fmt::format("{} is not a .py file: give Python code as FILE.py, or a program in the guest "
                               "with --command",
                               args.file.string()));
    }
    auto code = read_small_file(args.file, "the function's code");
    if (!code) return code.error();
    if (code->empty()) return Error(fmt::format("{} is empty", args.file.string()));
    body["runtime"] = "python";
    body["code"] = std::move(*code);
    if (!args.main.empty()) body["main"] = args.main;
  } else {
    if (!args.main.empty()) return Error("--main is for Python code (FILE.py)");
    body["runtime"] = "native";
    body["command"] = args.command;
  }
  if (!args.memory.empty()) {
    auto bytes = parse_size(args.memory);
    if (!bytes) return bytes.error().context("--memory");
    if (*bytes % kMiB != 0) return Error(fmt::format("--memory {} is not a whole number of MiB", args.memory));
    body["memory_mib"] = *bytes / kMiB;
  }
  if (args.concurrency) body["concurrency"] = *args.concurrency;
  if (args.vcpus) body["vcpus"] = *args.vcpus;
  if (args.keep_alive_s) body["keep_alive_s"] = *args.keep_alive_s;
  if (!args.mode.empty()) body["mode"] = args.mode;
  if (!args.model.empty()) body["model"] = args.model;
  return body;
}

Result<json> invoke_params(const std::vector<std::pair<std::string, std::string>>& params,
                           const std::filesystem::path& param_file) {
  json out = json::object();
  if (!param_file.empty()) {
    auto text = read_small_file(param_file, "--param-file");
    if (!text) return text.error();
    auto parsed = protocol::parse_object(*text);
    if (!parsed) return parsed.error().context(fmt::format("--param-file {} must hold a JSON object", param_file.string()));
    out = std::move(*parsed);
  }
  for (const auto& [key, value] : params) {
    if (key.empty()) return Error("-p needs a non-empty parameter name");
    json parsed = json::parse(value, nullptr, false);
    out[key] = parsed.is_discarded() ? json(value) : std::move(parsed);
  }
  return out;
}

Result<json> FnClient::request(const std::string& method, const std::string& path, const json& body) const {
  if (!url_.starts_with("http://") || url_.size() <= 7) {
    return Error(fmt::format("--url {} must be http://HOST[:PORT] (for TLS, put the daemon behind a proxy and use "
                             "its plain-HTTP side here)",
                             url_));
  }
  httplib::Client client(url_);
  if (!client.is_valid()) return Error(fmt::format("--url {} is not http://HOST[:PORT]", url_));
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(600, 0);  // an invocation may wait for a cold start
  if (!token_.empty()) client.set_bearer_token_auth(token_);
  const std::string sent = body.is_null() ? "" : body.dump();
  httplib::Result r = method == "GET"      ? client.Get(path)
                      : method == "DELETE" ? client.Delete(path)
                      : method == "PUT"    ? client.Put(path, sent, "application/json")
                                           : client.Post(path, sent, "application/json");
  if (!r) {
    return Error(ErrorCode::kUnavailable, fmt::format("cannot reach the daemon at {} ({}): is `hotmem serve` running "
                                                      "there? (--url)",
                                                      url_, httplib::to_string(r.error())));
  }
  if (r->status < 200 || r->status > 299) return daemon_error(method, path, r);
  json answer = json::parse(r->body, nullptr, false);
  if (answer.is_discarded()) return Error(fmt::format("{} {}: the daemon's answer is not JSON", method, path));
  return answer;
}

std::string format_function_list(const json& listed) {
  const json functions = listed.value("functions", json::array());
  if (functions.empty()) return "no functions deployed\n";
  std::string out = fmt::format("{:<24} {:<14} {:<6} {:<8} {:>10} {:>11} {:<10}\n", "NAME", "STATE", "MODEL", "RUNTIME",
                                "MEMORY_MIB", "CONCURRENCY", "MODE");
  for (const json& f : functions) {
    out += fmt::format("{:<24} {:<14} {:<6} {:<8} {:>10} {:>11} {:<10}\n", f.value("name", "?"), f.value("state", "?"),
                       f.value("model", "?"), f.value("runtime", "?"), f.value("memory_mib", 0),
                       f.value("concurrency", 0), f.value("mode", "?"));
  }
  return out;
}

std::string format_activation_list(const json& listed) {
  const json activations = listed.value("activations", json::array());
  if (activations.empty()) return "no activations recorded\n";
  std::string out = fmt::format("{:<32} {:<24} {:>9} {:<5} {:<8} {:<22} {:>5}\n", "ACTIVATION", "START", "DURATION",
                                "COLD", "INSTANCE", "STATUS", "LINES");
  for (const json& a : activations) {
    const auto start = std::chrono::system_clock::time_point(std::chrono::milliseconds(a.value("start", 0ll)));
    const std::time_t seconds = std::chrono::system_clock::to_time_t(start);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    out += fmt::format("{:<32} {:<24} {:>7}ms {:<5} {:<8} {:<22} {:>5}\n", a.value("activation_id", "?"),
                       fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                                   utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec),
                       a.value("duration_ms", 0ll), a.value("cold_start", false) ? "cold" : "warm",
                       a.value("instance", ""), a.value("status", "?"),
                       fmt::format("{}{}", a.value("log_lines", 0), a.value("logs_truncated", false) ? "+" : ""));
  }
  return out;
}

}  // namespace hotmem::cli

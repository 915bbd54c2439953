// hotmem fn: deploy, invoke, list, inspect and delete functions, and read
// their activations and logs, through a running daemon's REST API.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/fn_client.h"
#include "serve/api_auth.h"

namespace hotmem::cli {
namespace {

struct FnArgs {
  std::string url = kDefaultDaemonUrl;
  std::string token_file;
  FnDeployArgs deploy;
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
  std::string param_file;
  bool result_only = false;
  std::size_t last = 1;
  std::size_t limit = 30;
};

Result<FnClient> fn_client_of(const FnArgs& args) {
  std::string token;
  if (!args.token_file.empty()) {
    auto read = serve::read_token_file(args.token_file);
    if (!read) return read.error().context("--token-file");
    token = std::move(*read);
  }
  return FnClient(args.url, std::move(token));
}

// One request to the daemon the arguments name; its answer's JSON body.
Result<json> fn_request(const FnArgs& args, const std::string& method, const std::string& path,
                        const json& body = nullptr) {
  auto client = fn_client_of(args);
  if (!client) return client.error();
  return client->request(method, path, body);
}

void print_fn_json(const json& j) { fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace)); }

Status fn_deploy(const FnArgs& args) {
  FnDeployArgs d = args.deploy;
  d.name = args.name;
  auto body = deploy_body(d);
  if (!body) return body.error();
  auto deployed = fn_request(args, "PUT", "/v1/functions/" + args.name, *body);
  if (!deployed) return deployed.error();
  const json spec = deployed->value("function", json::object());
  fmt::print("deployed {}: {} runtime, {} MiB, concurrency {}, {} mode, model {}, keep-alive {} s ({})\n", args.name,
             spec.value("runtime", "?"), spec.value("memory_mib", 0), spec.value("concurrency", 0),
             spec.value("mode", "?"), spec.value("model", "?"), spec.value("keep_alive_s", 0),
             deployed->value("state", "?"));
  return ok_status();
}

Status fn_invoke(const FnArgs& args) {
  auto params = invoke_params(args.params, args.param_file);
  if (!params) return params.error();
  auto answer = fn_request(args, "POST", "/v1/functions/" + args.name + "/invoke", *params);
  if (!answer) return answer.error();
  print_fn_json(args.result_only ? answer->value("result", json::object()) : *answer);
  return ok_status();
}

Status fn_list(const FnArgs& args) {
  auto listed = fn_request(args, "GET", "/v1/functions");
  if (!listed) return listed.error();
  fmt::print("{}", format_function_list(*listed));
  return ok_status();
}

Status fn_get(const FnArgs& args) {
  auto got = fn_request(args, "GET", "/v1/functions/" + args.name);
  if (!got) return got.error();
  print_fn_json(*got);
  return ok_status();
}

Status fn_delete(const FnArgs& args) {
  auto removed = fn_request(args, "DELETE", "/v1/functions/" + args.name);
  if (!removed) return removed.error();
  fmt::print("deleted {}\n", args.name);
  return ok_status();
}

Status fn_activations(const FnArgs& args) {
  auto listed = fn_request(args, "GET", fmt::format("/v1/functions/{}/activations?limit={}", args.name, args.limit));
  if (!listed) return listed.error();
  fmt::print("{}", format_activation_list(*listed));
  return ok_status();
}

// The newest `last` activations' logs, oldest first, each under a line
// that names it.
Status fn_logs(const FnArgs& args) {
  auto client = fn_client_of(args);
  if (!client) return client.error();
  auto listed = client->request("GET", fmt::format("/v1/functions/{}/activations?limit={}", args.name, args.last));
  if (!listed) return listed.error();
  json newest = listed->value("activations", json::array());
  if (newest.empty()) {
    fmt::print("{} has no activations recorded\n", args.name);
    return ok_status();
  }
  for (auto a = newest.rbegin(); a != newest.rend(); ++a) {
    const std::string id = a->value("activation_id", "");
    auto got = client->request("GET", "/v1/activations/" + id + "/logs");
    if (!got) return got.error();
    fmt::print("== activation {} ({}, {} ms, {}{})\n", id, a->value("status", "?"), a->value("duration_ms", 0ll),
               a->value("cold_start", false) ? "cold" : "warm",
               got->value("truncated", false) ? ", log truncated" : "");
    for (const json& line : got->value("logs", json::array())) {
      if (line.is_string()) fmt::print("{}\n", line.get<std::string>());
    }
  }
  return ok_status();
}

}  // namespace

void add_fn_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<FnArgs>();
  CLI::App* fn = app.add_subcommand("fn", "Deploy, invoke and inspect functions through a running `hotmem serve`");
  fn->require_subcommand(1);
  fn->fallthrough();  // --url and --token-file may come after the subcommand, as well
  fn->add_option("--url", args->url, "The daemon's address, http://HOST[:PORT]")->capture_default_str();
  fn->add_option("--token-file", args->token_file,
                 "A file (mode 600) whose first line is the daemon's API token, sent as 'Authorization: Bearer'");
  const auto run = [args, &exit_code](Status (*command)(const FnArgs&)) {
    return [args, &exit_code, command] {
      Status s = command(*args);
      if (!s) exit_code = report_error(s.error().message());
    };
  };
  const auto named = [args](CLI::App* sub) {
    sub->add_option("name", args->name, "The function's name")->required();
  };

  CLI::App* deploy_cmd = fn->add_subcommand("deploy", "Deploy (or replace) a function: Python code from FILE.py, or a "
                                                      "native command in the guest");
  named(deploy_cmd);
  deploy_cmd->add_option("file", args->deploy.file, "The Python code (its main(args) is the action)");
  deploy_cmd->add_option("--command", args->deploy.command,
                         "The native runtime: an action server in the guest, its absolute path and arguments");
  deploy_cmd->add_option("--main", args->deploy.main, "Python: the function to call (default main)");
  deploy_cmd->add_option("--memory", args->deploy.memory, "Memory per instance (e.g. 256M, 1G; bare: MiB)");
  deploy_cmd->add_option("--concurrency", args->deploy.concurrency, "Instances at most (N of the N:1 VM)");
  deploy_cmd->add_option("--vcpus", args->deploy.vcpus, "vCPUs of its VM");
  deploy_cmd->add_option("--keep-alive", args->deploy.keep_alive_s, "Seconds an idle instance is kept");
  deploy_cmd->add_option("--mode", args->deploy.mode, "Memory mode: hotmem, virtio-mem, balloon, balloon-fpr, static");
  deploy_cmd->add_option("--model", args->deploy.model, "N:1 (instances share a VM) or 1:1 (a VM per instance)");
  deploy_cmd->callback(run(fn_deploy));

  CLI::App* invoke_cmd = fn->add_subcommand("invoke", "Invoke a function and print its answer");
  named(invoke_cmd);
  invoke_cmd->add_option("-p,--param", args->params,
                         "A parameter: -p KEY VALUE (a VALUE that is JSON is taken as such); again for more")
      ->allow_extra_args(false);
  invoke_cmd->add_option("--param-file", args->param_file, "A JSON object of parameters (-p ones go over it)");
  invoke_cmd->add_flag("--result", args->result_only, "Print only the action's result");
  invoke_cmd->callback(run(fn_invoke));

  fn->add_subcommand("list", "List the deployed functions")->callback(run(fn_list));

  CLI::App* get_cmd = fn->add_subcommand("get", "A function's state: VM, partitions, instances");
  named(get_cmd);
  get_cmd->callback(run(fn_get));

  CLI::App* delete_cmd = fn->add_subcommand("delete", "Delete a function (its VM ends; its activations go)");
  named(delete_cmd);
  delete_cmd->callback(run(fn_delete));

  CLI::App* logs_cmd = fn->add_subcommand("logs", "What a function's newest activations wrote on stdout and stderr");
  named(logs_cmd);
  logs_cmd->add_option("--last", args->last, "How many activations, the newest")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  logs_cmd->callback(run(fn_logs));

  CLI::App* activations_cmd = fn->add_subcommand("activations", "A function's newest activations, newest first");
  named(activations_cmd);
  activations_cmd->add_option("--limit", args->limit, "How many")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  activations_cmd->callback(run(fn_activations));
}

}  // namespace hotmem::cli

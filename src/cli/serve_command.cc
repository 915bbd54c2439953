// hotmem serve: the host daemon (REST API, one VM per function).
#include <memory>
#include <optional>
#include <string>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/options.h"
#include "common/interrupt.h"
#include "common/size.h"
#include "host/run_dir.h"
#include "serve/api_auth.h"
#include "protocol/messages.h"
#include "serve/daemon.h"
#include "serve/openwhisk_auth.h"

namespace hotmem::cli {
namespace {

struct ServeArgs {
  std::string config;
  GuestOptions guest;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string unix_socket;
  int max_functions = 8;
  std::string port_file;
  std::string token_file;
  std::string memory_budget = "auto";
  std::string memory_reserve = "1G";
  std::string reclaim_policy = "sync";
  std::string harvest_slack = "512M";
  std::string dirty_partitions = "migrate";
  std::size_t activations_kept = 100;
  std::string activation_log_limit = "64K";
  std::string activation_result_limit = "64K";
  std::string openwhisk_key_file;
  std::string openwhisk_namespace = "guest";
};

// A size in bytes: a bare number is bytes (parse_size reads one as MiB),
// else a size with a K/M/G suffix.
Result<std::size_t> byte_size(const std::string& text, const char* flag) {
  const bool bare = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  auto bytes = bare ? Result<std::uint64_t>(std::stoull(text.substr(0, 12))) : parse_size(text);
  if (!bytes) return bytes.error().context(flag);
  return static_cast<std::size_t>(*bytes);
}

// The activation records' limits from --activations-kept, --activation-log-limit
// and --activation-result-limit.
Result<serve::ActivationLimits> activation_limits(const ServeArgs& args) {
  serve::ActivationLimits limits;
  limits.per_function = args.activations_kept;
  auto log_bytes = byte_size(args.activation_log_limit, "--activation-log-limit");
  if (!log_bytes) return log_bytes.error();
  limits.log_bytes = *log_bytes;
  auto result_bytes = byte_size(args.activation_result_limit, "--activation-result-limit");
  if (!result_bytes) return result_bytes.error();
  limits.result_bytes = *result_bytes;
  if (Status s = serve::check_activation_limits(limits); !s) return s.error();
  return limits;
}

Result<serve::BudgetConfig> budget_config(const ServeArgs& args) {
  serve::BudgetConfig c;
  if (args.memory_budget != "auto") {
    auto bytes = parse_size(args.memory_budget);
    if (!bytes || *bytes == 0) return Error(fmt::format("--memory-budget: '{}' is not auto or a size such as 8G",
                                                         args.memory_budget));
    c.budget_bytes = *bytes;
  }
  auto reserve = parse_size(args.memory_reserve);
  if (!reserve) return reserve.error().context("--memory-reserve");
  c.reserve_bytes = *reserve;
  auto policy = serve::parse_reclaim_policy(args.reclaim_policy);
  if (!policy) return policy.error().context("--reclaim-policy");
  c.policy = *policy;
  auto slack = parse_size(args.harvest_slack);
  if (!slack) return slack.error().context("--harvest-slack");
  c.slack_bytes = *slack;
  return c;
}

// The token clients must present; none on loopback or a unix socket, where
// only this host's users reach the API, unless one is given.
Result<std::optional<std::string>> api_token(const ServeArgs& args) {
  if (!args.token_file.empty()) {
    auto token = serve::read_token_file(args.token_file);
    if (!token) return token.error().context("--token-file");
    return std::optional(std::move(*token));
  }
  if (args.unix_socket.empty() && !serve::is_loopback_host(args.host)) {
    return Error(fmt::format("--host {} is not a loopback address: whoever reaches it could deploy and run code "
                             "here. Give --token-file F (mode 600, its first line the token clients send as "
                             "'Authorization: Bearer <token>'), or listen on 127.0.0.1 behind a TLS proxy "
                             "(docs/serve.md, Security)",
                             args.host));
  }
  return std::optional<std::string>();
}

// OpenWhisk's API: its key from --openwhisk-key-file (none: the API
// answers 401 saying how to give one) and its namespace.
Result<serve::OpenWhiskConfig> openwhisk_config(const ServeArgs& args) {
  serve::OpenWhiskConfig c;
  if (!args.openwhisk_key_file.empty()) {
    auto key = serve::read_openwhisk_key_file(args.openwhisk_key_file);
    if (!key) return key.error().context("--openwhisk-key-file");
    c.key = std::move(*key);
  }
  if (Status s = protocol::validate_name("--openwhisk-namespace", args.openwhisk_namespace); !s || args.openwhisk_namespace == "_") {
    return Error("--openwhisk-namespace: a name of letters, digits, '_', '.' and '-', not '_'");
  }
  c.ns = args.openwhisk_namespace;
  return c;
}

Status run_serve(const ServeArgs& args) {
  auto token = api_token(args);
  if (!token) return token.error();
  auto openwhisk = openwhisk_config(args);
  if (!openwhisk) return openwhisk.error();
  auto activations = activation_limits(args);
  if (!activations) return activations.error();
  auto vm = args.guest.resolve("function");
  if (!vm) return vm.error();
  if (!std::filesystem::exists(vm->image_dir / "image.json")) {
    return Error(fmt::format("no guest image in {}: run ./scripts/setup (or hotmem image build)", vm->image_dir.string()));
  }
  // VMs a previous daemon left when it was killed: their QEMUs died with it
  // (they are tied to their owner); their run directories go now.
  auto swept = host::sweep_orphaned_run_dirs();
  if (!swept) return swept.error();
  for (const std::string& line : swept->removed) spdlog::info("hotmem serve: {}", line);
  for (const std::string& line : swept->left) spdlog::warn("hotmem serve: {}", line);
  auto budget = budget_config(args);
  if (!budget) return budget.error();
  auto dirty = host::parse_dirty_policy(args.dirty_partitions);
  if (!dirty) return dirty.error().context("--dirty-partitions");
  serve::DaemonConfig config;
  config.vm = *vm;
  config.max_functions = static_cast<std::size_t>(args.max_functions);
  config.budget = *budget;
  config.dirty = *dirty;
  config.activations = *activations;
  config.openwhisk = *openwhisk;
  serve::Daemon daemon(std::move(config));
  const bool token_required = token->has_value();
  if (token_required) daemon.require_token(std::move(**token));
  if (Status s = daemon.start(args.host, args.port, args.unix_socket); !s) return s;
  fmt::print("hotmem serve: memory budget {} ({}; reclaim policy {})\n", format_size(daemon.broker().budget_bytes()),
             budget->budget_bytes ? "as given" : fmt::format("auto: the host's available memory less {}, followed",
                                                             format_size(budget->reserve_bytes)),
             serve::to_string(budget->policy));
  const std::string where = args.unix_socket.empty() ? fmt::format("http://{}:{}", args.host, daemon.port())
                                                     : "unix:" + args.unix_socket;
  fmt::print("hotmem serve: listening on {}{} (Ctrl-C stops it and every function VM)\n", where,
             token_required ? ", bearer token required" : "");
  if (openwhisk->key) {
    fmt::print("hotmem serve: OpenWhisk API on {}/api/v1 (namespace {}, key of {})\n", where, openwhisk->ns,
               args.openwhisk_key_file);
  }
  std::fflush(stdout);
  if (!args.port_file.empty()) {
    std::ofstream(args.port_file) << daemon.port() << "\n";
  }
  while (!interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  fmt::print("hotmem serve: stopping\n");
  Status served = daemon.stop();
  if (!args.unix_socket.empty()) std::filesystem::remove(args.unix_socket);
  return served;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "Run the HotMem daemon: a REST API that deploys and invokes functions");
  args->guest.vcpus = 1;
  args->guest.add_to(*serve);
  serve->add_option("--host", args->host, "Address to listen on (loopback by default)")->capture_default_str();
  serve->add_option("--port", args->port, "TCP port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--unix-socket", args->unix_socket, "Listen on this unix socket instead of TCP");
  serve->add_option("--max-functions", args->max_functions, "Functions (VMs) served at once")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--port-file", args->port_file, "Write the port listened on to this file (for scripts)");
  serve->add_option("--token-file", args->token_file,
                    "Require 'Authorization: Bearer <token>' on every request, the token being this file's first "
                    "line (mode 600); needed with a --host that is not loopback");
  serve->add_option("--memory-budget", args->memory_budget,
                    "Host memory all function VMs may commit (boot memory + plugged): a size (K/M/G) or auto "
                    "(the host's available memory less --memory-reserve, re-read every second)")
      ->capture_default_str();
  serve->add_option("--memory-reserve", args->memory_reserve, "auto budget: host memory left to everything else")
      ->capture_default_str();
  serve->add_option("--reclaim-policy", args->reclaim_policy,
                    "sync: evict idle instances when a scale up needs their memory; harvest: also keep "
                    "--harvest-slack free by evicting idle instances in the background")
      ->check(CLI::IsMember({"sync", "harvest"}))
      ->capture_default_str();
  serve->add_option("--harvest-slack", args->harvest_slack, "harvest: free budget kept ready for scale ups")
      ->capture_default_str();
  serve->add_option("--dirty-partitions", args->dirty_partitions,
                    "A partition its ended instance left memory in that the agent could not clear: migrate "
                    "(unplug it, migrating what is left) or keep (plugged and unused until it is empty)")
      ->check(CLI::IsMember({"migrate", "keep"}))
      ->capture_default_str();
  serve->add_option("--activations-kept", args->activations_kept,
                    "Activation records kept in memory per function (the newest; GET "
                    "/v1/functions/{name}/activations)")
      ->check(CLI::Range(std::size_t{1}, serve::ActivationLimits::kMaxPerFunction))
      ->capture_default_str();
  serve->add_option("--activation-log-limit", args->activation_log_limit,
                    "What an activation keeps of the action's stdout and stderr: bytes, or K/M with a suffix "
                    "(at most 256K); more is dropped and the log marked truncated")
      ->capture_default_str();
  serve->add_option("--activation-result-limit", args->activation_result_limit,
                    "The longest result an activation record keeps: bytes, or K/M with a suffix (at most 1M); "
                    "a longer one is replaced by an error saying so")
      ->capture_default_str();
  serve->add_option("--openwhisk-key-file", args->openwhisk_key_file,
                    "Serve OpenWhisk's API under /api/v1 to clients that present this file's 'uuid:key' "
                    "(mode 600) as Basic auth, as wsk and the openwhisk npm client do (docs/openwhisk.md)");
  serve->add_option("--openwhisk-namespace", args->openwhisk_namespace,
                    "The OpenWhisk namespace served (\"_\" names it too)")
      ->capture_default_str();
  add_config_option(*serve, args->config);
  serve->callback([args, serve, &exit_code] {
    if (!args->config.empty()) {
      if (Status read = apply_config_file(*serve, args->config); !read) {
        exit_code = report_error(read.error().message());
        return;
      }
    }
    Status s = run_serve(*args);
    if (!s) exit_code = report_error(s.error().message());
  });
}

}  // namespace hotmem::cli

#include "cli/vm_supervisor.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/interrupt.h"
#include "common/proc_stats.h"
#include "common/socket.h"
#include "host/run_dir.h"
#include "host/runtime_root.h"
#include "protocol/frame.h"
#include "protocol/messages.h"

namespace hotmem::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kRequestReadTimeout = std::chrono::seconds(10);
constexpr std::uint64_t kMaxResizeTimeoutMs = 10 * 60 * 1000;

// Reads exactly one framed payload from a stream.
Result<std::string> read_one_frame(int fd, Deadline deadline) {
  protocol::FrameDecoder decoder;
  std::array<char, 16384> buf;
  for (;;) {
    if (auto payload = decoder.next()) return std::move(*payload);
    auto n = read_some(fd, buf, deadline);
    if (!n) return n.error();
    if (*n == 0) return Error("connection closed before a whole message arrived");
    if (Status s = decoder.feed(std::string_view(buf.data(), *n)); !s) return s.error();
  }
}

json status_of(host::FunctionVm& vm, Clock::time_point started) {
  vmm::Vmm& vmm = vm.vmm();
  json devices = json::array();
  for (const auto& d : vm.spec().memory_devices) {
    auto state = vmm.memory_device(d.id);
    if (!state) continue;
    devices.push_back({{"id", state->id},
                       {"node", state->node},
                       {"max_bytes", state->max_bytes},
                       {"requested_bytes", state->requested_bytes},
                       {"plugged_bytes", state->plugged_bytes}});
  }
  json status{{"name", vm.spec().name},
              {"qemu_pid", vmm.pid()},
              {"accel", vmm.accel()},
              {"boot_ms", to_ms(vm.boot_time())},
              {"uptime_s", std::chrono::duration<double>(Clock::now() - started).count()},
              {"kernel", vm.agent_info().kernel},
              {"agent_version", vm.agent_info().agent_version},
              {"devices", devices}};
  if (auto rss = vmm.rss_bytes()) status["qemu_rss_bytes"] = *rss;
  if (auto report = vm.agent().memory_report()) {
    json nodes = json::array();
    for (const auto& [node, info] : report->nodes) {
      nodes.push_back({{"node", node}, {"total_bytes", info.total_bytes()}, {"free_bytes", info.free_bytes()}});
    }
    status["nodes"] = nodes;
    if (auto migrated = report->pgmigrate_success()) {
      status["pgmigrate_success"] = *migrated;
    } else {
      status["guest_error"] = migrated.error().message();
    }
  } else {
    status["guest_error"] = report.error().message();
  }
  return status;
}

protocol::Response handle(host::FunctionVm& vm, const protocol::Request& request, Clock::time_point started,
                          bool& stop) {
  auto fail = [&](const Error& e) { return protocol::Response{request.id, false, e.message(), {}}; };
  if (request.type == "status") return {request.id, true, "", status_of(vm, started)};
  if (request.type == "stop") {
    stop = true;
    return {request.id, true, "", json::object()};
  }
  if (request.type == "resize") {
    auto device = protocol::get_string(request.body, "device", 64);
    if (!device) return fail(device.error());
    auto bytes = protocol::get_u64(request.body, "bytes");
    if (!bytes) return fail(bytes.error());
    auto timeout_ms = protocol::get_u64(request.body, "timeout_ms", kMaxResizeTimeoutMs);
    if (!timeout_ms) return fail(timeout_ms.error());
    auto latency = vm.resize(*device, *bytes, Millis(*timeout_ms));
    if (!latency) return fail(latency.error());
    return {request.id, true, "", json{{"latency_ms", to_ms(*latency)}, {"bytes", *bytes}}};
  }
  return fail(Error(fmt::format("unknown request '{}'", request.type)));
}

}  // namespace

Result<fs::path> vm_state_dir(const std::string& name) {
  auto root = host::vm_states_root();
  if (!root) return root.error();
  return *root / name;
}

int run_supervisor(const host::FunctionVmConfig& config) {
  install_interrupt_handlers();
  auto state_dir = vm_state_dir(config.name);
  if (!state_dir) {
    spdlog::error("{}", state_dir.error().message());
    return 1;
  }
  const fs::path dir = *state_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    spdlog::error("cannot create {}: {}", dir.string(), ec.message());
    return 1;
  }
  // The state directory goes when the supervisor goes, on every path.
  TempDir state(dir);
  if (Status s = host::record_owner(dir); !s) {
    spdlog::error("{}", s.error().message());
    return 1;
  }
  auto listener = listen_unix(dir / "control.sock");
  if (!listener) {
    spdlog::error("{}", listener.error().message());
    return 1;
  }
  host::FunctionVmConfig vm_config = config;
  vm_config.run_dir = dir;
  auto vm = host::FunctionVm::boot(vm_config);
  if (!vm) {
    spdlog::error("{}", vm.error().message());
    return 1;
  }
  const auto started = Clock::now();
  spdlog::info("VM {} is up (boot {:.0f} ms)", config.name, to_ms((*vm)->boot_time()));
  bool stop = false;
  while (!stop && !interrupted()) {
    if (!(*vm)->vmm().alive()) {
      spdlog::error("VM {} ended: {}", config.name, (*vm)->vmm().exit_description());
      return 1;
    }
    auto conn = accept_unix(listener->get(), Deadline(Millis(500)));
    if (!conn) continue;
    auto payload = read_one_frame(conn->get(), Deadline(kRequestReadTimeout));
    if (!payload) continue;
    auto request = protocol::decode_request(*payload);
    protocol::Response response = request ? handle(**vm, *request, started, stop)
                                          : protocol::Response{0, false, request.error().message(), {}};
    (void)write_all(conn->get(), protocol::encode_frame(protocol::encode_response(response)),
                    Deadline(std::chrono::seconds(5)));
  }
  spdlog::info("VM {} stopping", config.name);
  return 0;
}

Result<json> control_call(const std::string& name, const std::string& type, const json& body,
                          Clock::duration timeout) {
  auto dir = vm_state_dir(name);
  if (!dir) return dir.error();
  const fs::path socket = *dir / "control.sock";
  if (!fs::exists(socket)) {
    return Error(fmt::format("no VM named '{}' is running (see `hotmem vm list`; start one with `hotmem vm start {}`)",
                             name, name));
  }
  Deadline deadline(timeout);
  auto fd = connect_unix(socket, Deadline(std::chrono::seconds(2)));
  if (!fd) return fd.error().context(fmt::format("VM '{}' supervisor", name));
  Status sent = write_all(fd->get(), protocol::encode_frame(protocol::encode_request({1, type, body})), deadline);
  if (!sent) return sent.error();
  auto payload = read_one_frame(fd->get(), deadline);
  if (!payload) return payload.error().context(fmt::format("VM '{}' supervisor", name));
  auto response = protocol::decode_response(*payload);
  if (!response) return response.error();
  if (!response->ok) return Error(response->error);
  return response->body;
}

Result<std::vector<std::string>> list_vms() {
  auto root = host::vm_states_root();
  if (!root) return root.error();
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(*root, ec)) {
    if (!host::check_owned_dir(entry.path())) continue;
    // None recorded yet: `vm start` made the directory, its supervisor is starting.
    auto owner = host::recorded_owner(entry.path());
    if (!owner) continue;
    if (process_alive(*owner)) {
      names.push_back(entry.path().filename().string());
    } else {
      // A supervisor that was killed outright: its QEMU died with it
      // (PR_SET_PDEATHSIG); only the directory is left to clear.
      std::error_code removing;
      fs::remove_all(entry.path(), removing);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hotmem::cli

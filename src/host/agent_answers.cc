#include "host/agent_answers.h"

#include <chrono>
#include <cstdint>

#include "protocol/messages.h"

namespace hotmem::host {

Result<AgentInfo> parse_agent_info(const json& body) {
  AgentInfo info;
  auto version = protocol::get_string(body, "agent_version", 128);
  if (!version) return version.error();
  info.agent_version = *version;
  auto kernel = protocol::get_string(body, "kernel", 128);
  if (!kernel) return kernel.error();
  info.kernel = *kernel;
  auto uptime = protocol::get_u64(body, "uptime_ms");
  if (!uptime) return uptime.error();
  info.uptime_ms = *uptime;
  auto cmdline = protocol::get_string(body, "cmdline", 4096);
  if (!cmdline) return cmdline.error();
  info.cmdline = *cmdline;
  return info;
}

Result<InstanceEnd> parse_instance_end(const json& body) {
  InstanceEnd end;
  auto exit = protocol::get_string(body, "exit", 256);
  if (!exit) return exit.error();
  end.exit = *exit;
  if (protocol::has(body, "oom_killed")) {
    auto oom = protocol::get_bool(body, "oom_killed");
    if (!oom) return oom.error();
    end.oom_killed = *oom;
  }
  if (protocol::has(body, "cleanup_error")) {
    auto e = protocol::get_string(body, "cleanup_error", 4096);
    if (!e) return e.error();
    end.cleanup_error = *e;
  }
  auto left = body.find("leftovers");
  if (left != body.end() && left->is_object() && !left->empty()) {
    auto node = protocol::get_i64(*left, "node", 0, 1023);
    auto used = protocol::get_u64(*left, "used_bytes");
    auto anon = protocol::get_u64(*left, "anon_bytes");
    auto file = protocol::get_u64(*left, "file_bytes");
    auto shmem = protocol::get_u64(*left, "shmem_bytes");
    for (const Error* e : {node ? nullptr : &node.error(), used ? nullptr : &used.error(),
                           anon ? nullptr : &anon.error(), file ? nullptr : &file.error(),
                           shmem ? nullptr : &shmem.error()}) {
      if (e) return e->context("leftovers");
    }
    end.node = static_cast<int>(*node);
    end.node_used_bytes = *used;
    end.node_anon_bytes = *anon;
    end.node_file_bytes = *file;
    end.node_shmem_bytes = *shmem;
  }
  return end;
}

Result<std::vector<InstanceStatus>> parse_instance_list(const json& body) {
  auto list = body.find("instances");
  if (list == body.end() || !list->is_array() || list->size() > 4096) {
    return Error("instance_list answer: 'instances' must be a list");
  }
  std::vector<InstanceStatus> out;
  for (const json& item : *list) {
    InstanceStatus status;
    auto name = protocol::get_string(item, "name", 64);
    auto pid = protocol::get_i64(item, "pid", 0, INT32_MAX);
    auto state = protocol::get_string(item, "state", 32);
    if (!name || !pid || !state) return Error("instance_list answer: malformed entry");
    status.name = *name;
    status.pid = *pid;
    status.state = *state;
    if (auto exit = protocol::get_string(item, "exit", 256)) status.exit = *exit;
    if (protocol::has(item, "reports")) {
      auto reports = protocol::get_u64(item, "reports");
      auto report = protocol::get_string(item, "report");
      if (!reports || !report) return Error("instance_list answer: malformed report");
      status.reports = *reports;
      status.report = *report;
    }
    out.push_back(std::move(status));
  }
  return out;
}

Result<ActionAnswer> parse_action_answer(const json& body) {
  auto status = protocol::get_i64(body, "status", 100, 599);
  if (!status) return status.error();
  auto text = protocol::get_string(body, "body", 1 << 20);
  if (!text) return text.error();
  // Bounded, so that it fits Clock::duration (nanoseconds in an int64): a
  // day is far beyond the agent's own limit on an invocation.
  constexpr auto kMaxElapsedUs = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::hours(24)).count();
  auto elapsed_us = protocol::get_u64(body, "elapsed_us", kMaxElapsedUs);
  if (!elapsed_us) return elapsed_us.error();
  return ActionAnswer{static_cast<int>(*status), std::move(*text), std::chrono::microseconds(*elapsed_us)};
}

}  // namespace hotmem::host

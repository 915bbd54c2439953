#include "agent/testing/hostile.h"

#include <unistd.h>

#include <string>
#include <thread>

#include <fmt/format.h>

#include "agent/guest_system.h"
#include "common/socket.h"
#include "protocol/frame.h"
#include "protocol/messages.h"

namespace hotmem::agent {

namespace {

Hostility hostility_named(std::string_view how) {
  if (how == "garbage") return Hostility::kGarbage;
  if (how == "flood") return Hostility::kFlood;
  if (how == "silent") return Hostility::kSilent;
  if (how == "lie") return Hostility::kLie;
  if (how == "die") return Hostility::kDie;
  return Hostility::kNone;
}

}  // namespace

Hostility hostility_from_cmdline(std::string_view cmdline) {
  const std::string_view how = cmdline_value(cmdline, "hotmem.hostile").value_or("");
  if (how == "on-request") return Hostility::kOnRequest;
  return hostility_named(how);
}

Hostility hostility_requested(std::string_view invoke_body) {
  const nlohmann::json body = nlohmann::json::parse(invoke_body, nullptr, false);
  if (!body.is_object() || !body.contains("value") || !body["value"].is_object()) return Hostility::kNone;
  const nlohmann::json& value = body["value"];
  const auto how = value.find("hotmem_hostile");
  if (how == value.end() || !how->is_string()) return Hostility::kNone;
  return hostility_named(how->get<std::string>());
}

void turn_hostile(Hostility how, int port, std::uint64_t id) {
  switch (how) {
    case Hostility::kNone:
    case Hostility::kOnRequest: return;
    case Hostility::kGarbage: {
      const std::string junk = "XX\x01\x00\xff\xff\xff\xff" + std::string(4096, '\xa5');
      (void)write_all(port, junk, Deadline(std::chrono::seconds(5)));
      return;
    }
    case Hostility::kFlood: {
      // Valid frames answering call 1 (the boot ping, long answered): a
      // host that drops late answers reads on, and never hears anything else.
      const std::string body(protocol::kDefaultMaxPayload / 2, 'x');
      const std::string frame =
          protocol::encode_frame(protocol::encode_response({1, true, "", nlohmann::json{{"flood", body}}}));
      for (;;) (void)write_all(port, frame, Deadline(std::chrono::seconds(60)));
    }
    case Hostility::kSilent:
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    case Hostility::kLie: {
      protocol::Response lie{id, true, "", nlohmann::json{{"status", 999999}, {"elapsed_ms", -5}, {"body", 42}}};
      (void)write_all(port, protocol::encode_frame(protocol::encode_response(lie)), Deadline(std::chrono::seconds(5)));
      return;
    }
    case Hostility::kDie:
      ::_exit(3);
  }
}

protocol::MemoryReportTexts lying_memory_report() {
  static std::uint64_t reports = 0;
  const std::uint64_t migrated = 1'000'000'000 - 1000 * ++reports;  // runs backwards
  const auto huge = [](int node) {
    return fmt::format("Node {0} MemTotal:       1125899906842624 kB\nNode {0} MemFree:        1125899906842624 kB\n",
                       node);
  };
  return protocol::MemoryReportTexts{{{0, huge(0)}, {1, huge(1)}},
                                     fmt::format("pgmigrate_success {}\n", migrated),
                                     "cpu  0 0 0 0 0 0 0 0 0 0\n"};
}

}  // namespace hotmem::agent

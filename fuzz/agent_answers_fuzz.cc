// What the host does with the agent's answers (host/agent_answers.h): every
// input that is a JSON object is tried as the answer to ping, instance_stop,
// instance_list and invoke; an invoke answer's body then goes where the
// daemon sends it, protocol::parse_object (the action's result).
// Invariants:
// - what is accepted is within the bounds the parsers state (string sizes,
//   node, pid, HTTP status, a non-negative elapsed time);
// - an accepted invoke answer written out again parses back unchanged.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "host/agent_answers.h"
#include "protocol/messages.h"

namespace hotmem::host {
namespace {

void check_agent_info(const json& body) {
  auto info = parse_agent_info(body);
  if (!info) return;
  HOTMEM_FUZZ_CHECK(info->agent_version.size() <= 128 && info->kernel.size() <= 128 && info->cmdline.size() <= 4096);
}

void check_instance_end(const json& body) {
  auto end = parse_instance_end(body);
  if (!end) return;
  HOTMEM_FUZZ_CHECK(end->exit.size() <= 256 && end->cleanup_error.size() <= 4096);
  if (end->node) HOTMEM_FUZZ_CHECK(*end->node >= 0 && *end->node <= 1023);
}

void check_instance_list(const json& body) {
  auto list = parse_instance_list(body);
  if (!list) return;
  HOTMEM_FUZZ_CHECK(list->size() <= 4096);
  for (const InstanceStatus& status : *list) {
    HOTMEM_FUZZ_CHECK(status.name.size() <= 64 && status.state.size() <= 32 && status.exit.size() <= 256);
    HOTMEM_FUZZ_CHECK(status.pid >= 0 && status.pid <= INT32_MAX);
  }
}

void check_action_answer(const json& body) {
  auto answer = parse_action_answer(body);
  if (!answer) return;
  HOTMEM_FUZZ_CHECK(answer->status >= 100 && answer->status <= 599);
  HOTMEM_FUZZ_CHECK(answer->body.size() <= (1u << 20));
  HOTMEM_FUZZ_CHECK(answer->elapsed >= Clock::duration::zero());
  const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(answer->elapsed).count();
  auto again = parse_action_answer(json{{"status", answer->status}, {"body", answer->body}, {"elapsed_us", elapsed_us}});
  HOTMEM_FUZZ_CHECK(again.ok() && again->status == answer->status && again->body == answer->body &&
                    again->elapsed == answer->elapsed);
  if (auto result = protocol::parse_object(answer->body)) HOTMEM_FUZZ_CHECK(result->is_object());
}

}  // namespace
}  // namespace hotmem::host

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::host;
  auto body = hotmem::protocol::parse_object(hotmem::fuzz::as_text(data, size));
  if (!body) return 0;
  check_agent_info(*body);
  check_instance_end(*body);
  check_instance_list(*body);
  check_action_answer(*body);
  return 0;
}

// The QMP decoder (vmm/qemu/qmp_decoder.h) on what QEMU's monitor sends,
// which a guest influences (events, error texts). Invariants:
// - fed at once or in pieces (taking messages out in between), the decoder
//   yields the same messages in the same order;
// - a final newline completes what is pending the same way in both.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "fuzz_support.h"
#include "vmm/qemu/qmp_decoder.h"

namespace hotmem::vmm::qemu {
namespace {

// A message, or the fact that its line did not parse, as comparable JSON.
json describe(const Result<QmpMessage>& message) {
  if (!message) return "error";
  return std::visit(
      [](const auto& m) -> json {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, QmpGreeting>) {
          return {{"greeting", m.version}};
        } else if constexpr (std::is_same_v<M, QmpReturn>) {
          return {{"return", m.value}, {"id", m.id ? json(*m.id) : json()}};
        } else if constexpr (std::is_same_v<M, QmpError>) {
          return {{"error", m.error_class}, {"desc", m.description}, {"id", m.id ? json(*m.id) : json()}};
        } else {
          return {{"event", m.name}, {"data", m.data}};
        }
      },
      *message);
}

void drain(QmpDecoder& decoder, std::vector<json>& into) {
  while (auto message = decoder.next()) into.push_back(describe(*message));
}


}  // namespace
}  // namespace hotmem::vmm::qemu

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::vmm::qemu;
  const std::string_view input = hotmem::fuzz::as_text(data, size);

  QmpDecoder whole;
  HOTMEM_FUZZ_CHECK(whole.feed(input).ok());
  std::vector<json> messages;
  drain(whole, messages);

  QmpDecoder split;
  std::vector<json> split_messages;
  for (std::string_view piece : hotmem::fuzz::pieces(input)) {
    HOTMEM_FUZZ_CHECK(split.feed(piece).ok());
    drain(split, split_messages);
  }
  HOTMEM_FUZZ_CHECK(split_messages == messages);

  // A newline completes whatever is pending, the same way in both.
  HOTMEM_FUZZ_CHECK(whole.feed("\n").ok() && split.feed("\n").ok());
  drain(whole, messages);
  drain(split, split_messages);
  HOTMEM_FUZZ_CHECK(split_messages == messages);
  return 0;
}

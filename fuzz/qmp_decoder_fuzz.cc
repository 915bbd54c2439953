// The QMP decoder (vmm/qemu/qmp_decoder.h) on what QEMU's monitor sends,
// which a guest influences (events, error texts). Invariants:
// - fed at once or in pieces (taking messages out in between), the decoder
//   yields the same messages in the same order;
// - a final newline completes what is pending the same way in both.
#include <algorithm>
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

using Messages = std::vector<Result<QmpMessage>>;

// The same message, or both lines failed to parse.
bool same(const Result<QmpMessage>& a, const Result<QmpMessage>& b) {
  if (!a || !b) return !a && !b;
  if (a->index() != b->index()) return false;
  return std::visit(
      [&](const auto& x) {
        using M = std::decay_t<decltype(x)>;
        const M& y = std::get<M>(*b);
        if constexpr (std::is_same_v<M, QmpGreeting>) {
          return x.version == y.version;
        } else if constexpr (std::is_same_v<M, QmpReturn>) {
          return x.id == y.id && x.value == y.value;
        } else if constexpr (std::is_same_v<M, QmpError>) {
          return x.id == y.id && x.error_class == y.error_class && x.description == y.description;
        } else {
          return x.name == y.name && x.data == y.data;
        }
      },
      *a);
}

bool same(const Messages& a, const Messages& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return same(x, y); });
}

void drain(QmpDecoder& decoder, Messages& into) {
  while (auto message = decoder.next()) into.push_back(std::move(*message));
}

}  // namespace
}  // namespace hotmem::vmm::qemu

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hotmem::vmm::qemu;
  const std::string_view input = hotmem::fuzz::as_text(data, size);

  QmpDecoder whole;
  HOTMEM_FUZZ_CHECK(whole.feed(input).ok());
  Messages messages;
  drain(whole, messages);

  QmpDecoder split;
  Messages split_messages;
  for (std::string_view piece : hotmem::fuzz::pieces(input)) {
    HOTMEM_FUZZ_CHECK(split.feed(piece).ok());
    drain(split, split_messages);
  }
  HOTMEM_FUZZ_CHECK(same(split_messages, messages));

  // A newline completes whatever is pending, the same way in both.
  HOTMEM_FUZZ_CHECK(whole.feed("\n").ok() && split.feed("\n").ok());
  drain(whole, messages);
  drain(split, split_messages);
  HOTMEM_FUZZ_CHECK(same(split_messages, messages));
  return 0;
}

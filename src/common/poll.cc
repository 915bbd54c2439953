#include "common/poll.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace hotmem {
namespace {

constexpr Clock::duration kMinInterval = std::chrono::microseconds(1000);
constexpr Clock::duration kMaxInterval = std::chrono::milliseconds(10);

}  // namespace

Result<Clock::duration> poll_until(const std::function<Result<bool>()>& done, Clock::duration timeout,
                                   const std::function<std::string()>& what) {
  const auto start = Clock::now();
  Deadline deadline(timeout);
  for (;;) {
    auto d = done();
    if (!d) return d.error();
    if (*d) return Clock::now() - start;
    if (deadline.expired()) return Error(fmt::format("after {:.0f} ms: {}", to_ms(timeout), what()));
    std::this_thread::sleep_for(std::clamp<Clock::duration>((Clock::now() - start) / 10, kMinInterval, kMaxInterval));
  }
}

}  // namespace hotmem

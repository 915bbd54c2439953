// Waiting for a condition that can only be polled (a device's size, a
// balloon's size): poll often at first, when the answer matters to the
// millisecond, and back off as the wait grows, so the polling itself (every
// poll is a QMP round trip that takes QEMU's big lock, which the guest's
// vCPUs need too) stays a small share of the work; the error stays ~10%.
#pragma once

#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace hotmem {

// Calls `done` until it returns true (then returns how long that took), an
// error (returned), or the timeout passes (an error ending with `what`).
Result<Clock::duration> poll_until(const std::function<Result<bool>()>& done, Clock::duration timeout,
                                   const std::function<std::string()>& what);

}  // namespace hotmem

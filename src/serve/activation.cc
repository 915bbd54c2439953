#include "serve/activation.h"

#include <ctime>

#include <fmt/format.h>

namespace hotmem::serve {

std::int64_t epoch_ms(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string iso_time(WallClock::time_point t) {
  const std::int64_t ms = epoch_ms(t);
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000);
}

json Activation::summary() const {
  json j{{"activation_id", id},
         {"function", function},
         {"start", epoch_ms(start)},
         {"end", epoch_ms(end)},
         {"duration_ms", epoch_ms(end) - epoch_ms(start)},
         {"cold_start", cold},
         {"instance", instance},
         {"status", status},
         {"action_status", action_status},
         {"result_bytes", result_bytes},
         {"log_lines", logs.size()},
         {"logs_truncated", logs_truncated}};
  if (!error.empty()) j["error"] = error;
  return j;
}

json Activation::to_json() const {
  json j = summary();
  j["logs"] = logs;
  j["result"] = result;
  return j;
}

bool format_logs(const protocol::ActionLogs& logs, WallClock::time_point began, std::size_t limit,
                 std::vector<std::string>& out) {
  bool truncated = logs.truncated;
  std::size_t used = 0;
  for (const protocol::LogLine& line : logs.lines) {
    used += protocol::ActionLogs::cost(line);
    if (used > limit) {
      truncated = true;
      break;
    }
    out.push_back(fmt::format("{} {}: {}", iso_time(began + std::chrono::milliseconds(line.ms)),
                              protocol::to_string(line.stream), line.text));
  }
  if (truncated) {
    out.push_back(fmt::format("{} stderr: [hotmem] the log is truncated: the action wrote more than {} bytes, or "
                              "did not end its output (OpenWhisk's end-of-activation line) in time",
                              iso_time(began + std::chrono::milliseconds(logs.lines.empty() ? 0 : logs.lines.back().ms)),
                              limit));
  }
  return truncated;
}

}  // namespace hotmem::serve

#include "replay/replay_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>

#include "host/guest_workloads.h"

namespace hotmem::replay {

using nlohmann::json;

namespace {

// What the native action holds while it lives: a language runtime's share.
constexpr std::uint64_t kRuntimeMib = 48;
// Room beyond what an invocation touches, rounded to whole 128 MiB blocks.
std::uint64_t instance_mib(std::uint64_t touched_mib) {
  const std::uint64_t need = touched_mib + kRuntimeMib + 32;
  return std::max<std::uint64_t>(128, (need + 127) / 128 * 128);
}

struct Family {
  std::string name;
  json payload = json::object();  // the busiest member's
  std::uint64_t payload_invocations = 0;
  std::uint64_t invocations = 0;
  double weighted_ms = 0;  // sum of mean_ms * invocations
  std::vector<std::uint64_t> per_minute;
};

}  // namespace

std::string shipped_function(const std::string& family) {
  static const std::map<std::string, std::string> kShipped{{"chameleon", "chameleon"},
                                                           {"image_rotate", "image_rotate"},
                                                           {"json_serdes", "json_serdes"},
                                                           {"matmul_fb", "matmul"},
                                                           {"pyaes", "pyaes"}};
  auto it = kShipped.find(family);
  return it == kShipped.end() ? "" : it->second;
}

std::map<std::string, std::uint64_t> family_memory(const json& catalog) {
  std::map<std::string, std::uint64_t> out;
  if (!catalog.is_array()) return out;
  for (const json& entry : catalog) {
    if (!entry.is_object() || !entry.contains("bench") || !entry["bench"].is_string()) continue;
    if (!entry.contains("mem_mib") || !entry["mem_mib"].is_number()) continue;
    const double mib = entry["mem_mib"].get<double>();
    if (!(mib > 0) || mib > 65536) continue;
    auto& m = out[bench_family(entry["bench"].get<std::string>())];
    m = std::max(m, static_cast<std::uint64_t>(std::ceil(mib)));
  }
  return out;
}

Result<ReplayPlan> plan_replay(const Trace& trace, const std::map<std::string, std::uint64_t>& memory,
                               const ReplayScale& scale) {
  if (scale.minutes == 0 || scale.minutes > trace.minutes) {
    return Error(fmt::format("the trace has {} minutes; asked for {}", trace.minutes, scale.minutes));
  }
  if (!(scale.rate_rps > 0)) return Error("the replay rate must be positive");
  if (!(scale.resident_share >= 0 && scale.resident_share <= 1)) return Error("the resident share must be in 0-1");
  std::map<std::string, Family> families;
  for (const TraceFunction& f : trace.functions) {
    Family& family = families[f.bench];
    family.name = f.bench;
    family.per_minute.resize(scale.minutes, 0);
    std::uint64_t invocations = 0;
    for (std::size_t m = 0; m < scale.minutes; ++m) {
      family.per_minute[m] += f.per_minute[m];
      invocations += f.per_minute[m];
      family.weighted_ms += f.mean_ms * static_cast<double>(f.per_minute[m]);
    }
    family.invocations += invocations;
    if (invocations > family.payload_invocations || family.payload_invocations == 0) {
      family.payload = f.payload;
      family.payload_invocations = invocations;
    }
  }
  std::vector<Family> chosen;
  for (auto& [name, family] : families) chosen.push_back(family);
  std::sort(chosen.begin(), chosen.end(), [](const Family& a, const Family& b) { return a.invocations > b.invocations; });
  if (chosen.size() > scale.max_functions) chosen.resize(scale.max_functions);

  ReplayPlan plan;
  plan.length = scale.minute * static_cast<int>(scale.minutes);
  std::uint64_t total = 0;
  for (const Family& f : chosen) total += f.invocations;
  if (total == 0) return Error("the chosen functions have no invocations in the replayed minutes");
  const double seconds = std::chrono::duration<double>(plan.length).count();
  // Every arrival count is scaled by one factor, so the families keep their
  // shares and each its shape over time.
  const double factor = scale.rate_rps * seconds / static_cast<double>(total);

  std::mt19937_64 rng(scale.seed);
  for (const Family& f : chosen) {
    ReplayFunction rf;
    rf.trace_invocations = f.invocations;
    const double mean_ms = f.invocations ? f.weighted_ms / static_cast<double>(f.invocations) : 0;
    auto mem = memory.find(f.name);
    const std::uint64_t touched = mem != memory.end() ? mem->second : 64;
    rf.spec.name = f.name;
    rf.spec.memory_mib = instance_mib(touched);
    rf.spec.concurrency = scale.concurrency;
    rf.spec.keep_alive = scale.keep_alive;
    json params;
    auto python = scale.python_functions.find(shipped_function(f.name));
    if (python != scale.python_functions.end()) {
      rf.spec.runtime = "python";
      rf.spec.code = python->second;
      params = f.payload;  // the functions take the trace's payloads as they are
    } else {
      rf.spec.runtime = "native";
      const auto resident = static_cast<std::uint64_t>(std::llround(double(touched) * scale.resident_share));
      rf.spec.command = host::action_argv(kRuntimeMib + resident);
      params = json{{"mib", touched - resident},
                    {"ms", static_cast<std::uint64_t>(std::llround(mean_ms * scale.duration_scale))}};
    }
    const std::size_t index = plan.functions.size();
    plan.functions.push_back(rf);
    for (std::size_t m = 0; m < scale.minutes; ++m) {
      // Poisson arrivals: the count is drawn around its scaled mean and the
      // times are uniform within the minute.
      const double mean = static_cast<double>(f.per_minute[m]) * factor;
      const auto count = std::poisson_distribution<std::uint64_t>(std::max(mean, 1e-9))(rng);
      std::uniform_real_distribution<double> when(0, std::chrono::duration<double>(scale.minute).count());
      for (std::uint64_t i = 0; i < count; ++i) {
        const auto at = scale.minute * static_cast<int>(m) +
                        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(when(rng)));
        plan.arrivals.push_back(Arrival{at, index, params});
      }
    }
  }
  std::sort(plan.arrivals.begin(), plan.arrivals.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  return plan;
}

json ReplayPlan::to_json() const {
  json listed = json::array();
  std::vector<std::uint64_t> counts(functions.size(), 0);
  for (const Arrival& a : arrivals) ++counts[a.function];
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const auto& f = functions[i];
    json params = json::object();
    for (const Arrival& a : arrivals) {
      if (a.function == i) {
        params = a.params;
        break;
      }
    }
    listed.push_back(json{{"name", f.spec.name}, {"runtime", f.spec.runtime}, {"memory_mib", f.spec.memory_mib},
                             {"concurrency", f.spec.concurrency}, {"keep_alive_s", f.spec.keep_alive.count()},
                             {"trace_invocations", f.trace_invocations}, {"replayed_invocations", counts[i]},
                             {"params", params}});
  }
  return json{{"functions", listed}, {"arrivals", arrivals.size()},
              {"length_s", std::chrono::duration<double>(length).count()}};
}

}  // namespace hotmem::replay

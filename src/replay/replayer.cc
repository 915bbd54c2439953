#include "replay/replayer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <fmt/format.h>

#include "bench/stats.h"
#include "serve/function_registry.h"

namespace hotmem::replay {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxErrorsKept = 5;

// A host cgroup for the replay's QEMU processes, removed when done: on the
// unified hierarchy (cgroup v2) memory.max, on the legacy one (v1) the
// memory controller's memory.limit_in_bytes. Swap is left as the host has it.
class HostCgroup {
 public:
  static Result<HostCgroup> create(const std::string& name, std::uint64_t memory_max) {
    const std::filesystem::path root("/sys/fs/cgroup");
    const bool v2 = std::filesystem::exists(root / "cgroup.controllers");
    HostCgroup g;
    g.path_ = (v2 ? root : root / "memory") / name;
    std::error_code ec;
    if (!std::filesystem::create_directory(g.path_, ec) || !std::filesystem::exists(g.path_ / "cgroup.procs")) {
      std::filesystem::remove(g.path_, ec);
      return Error(fmt::format("cannot create the memory cgroup {} (root and a mounted memory controller needed)",
                               g.path_.string()));
    }
    const auto limit = g.path_ / (v2 ? "memory.max" : "memory.limit_in_bytes");
    std::ofstream out(limit);
    out << memory_max << "\n";
    out.close();
    if (!out) return Error(fmt::format("cannot write {}", limit.string()));
    return g;
  }
  HostCgroup() = default;
  HostCgroup(HostCgroup&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  HostCgroup& operator=(HostCgroup&&) = delete;
  ~HostCgroup() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove(path_, ec);  // empty by now: its QEMUs are gone
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

Result<ModeOutcome> replay_mode(const ReplayPlan& plan, const std::string& mode, const ReplayOptions& options,
                                const ReplayProgress& progress) {
  ModeOutcome out;
  out.mode = mode;
  host::FunctionVmConfig vm = options.vm;
  std::optional<HostCgroup> cgroup;
  if (options.host_memory_max) {
    auto g = HostCgroup::create(fmt::format("hotmem-replay-{}-{}", mode, ::getpid()), *options.host_memory_max);
    if (!g) return g.error();
    cgroup.emplace(std::move(*g));
    vm.host_cgroup = cgroup->path();
  }
  serve::Metrics metrics;
  serve::FunctionRegistry registry(vm, metrics, plan.functions.size());
  std::vector<std::shared_ptr<serve::ServedFunction>> functions;
  for (const ReplayFunction& f : plan.functions) {
    serve::FunctionSpec spec = f.spec;
    spec.mode = mode;
    progress(fmt::format("{}: booting the VM of {} ({} MiB x {})", mode, spec.name, spec.memory_mib, spec.concurrency));
    auto deployed = registry.deploy(spec);
    if (!deployed) return deployed.error().context("deploy " + spec.name);
    functions.push_back(*deployed);
  }

  std::atomic<bool> sampling = true;
  const auto t0 = Clock::now();
  std::thread sampler([&] {
    auto next = Clock::now();
    while (sampling) {
      std::uint64_t rss = 0;
      for (const auto& f : functions) rss += f->rss_bytes();
      out.samples.push_back({std::chrono::duration<double>(Clock::now() - t0).count(), rss});
      next += options.sample_period;
      std::this_thread::sleep_until(next);
    }
  });

  progress(fmt::format("{}: replaying {} invocations over {:.0f} s", mode, plan.arrivals.size(),
                       std::chrono::duration<double>(plan.length).count()));
  std::vector<std::future<Result<serve::InvocationResult>>> calls;
  for (const Arrival& a : plan.arrivals) {
    std::this_thread::sleep_until(t0 + a.at);
    calls.push_back(std::async(std::launch::async, [&options, f = functions[a.function], params = a.params] {
      return f->invoke(params, options.invoke_timeout);
    }));
  }
  for (auto& call : calls) {
    auto r = call.get();
    if (r) {
      ++out.answered;
      out.cold_starts += r->cold;
      out.latencies_ms.push_back(to_ms(r->total));
    } else {
      ++out.failed;
      if (out.errors.size() < kMaxErrorsKept) out.errors.push_back(r.error().message());
    }
  }
  progress(fmt::format("{}: {} answered, {} failed; measuring {:.0f} s more for keep-alive reclaims", mode,
                       out.answered, out.failed, std::chrono::duration<double>(options.tail).count()));
  std::this_thread::sleep_until(std::max(Clock::now(), t0 + plan.length) + options.tail);
  sampling = false;
  sampler.join();
  for (const auto& f : functions) {
    out.migrated_pages += metrics.counter(serve::kMigratedPages, f->spec().name);
    out.reclaims += metrics.counter(serve::kReclaims, f->spec().name);
  }
  registry.shutdown();
  functions.clear();

  for (std::size_t i = 1; i < out.samples.size(); ++i) {
    const auto& a = out.samples[i - 1];
    const auto& b = out.samples[i];
    out.footprint_gib_s += (b.t_s - a.t_s) * double(a.rss_bytes + b.rss_bytes) / 2 / double(kGiB);
  }
  for (const auto& s : out.samples) out.peak_rss_bytes = std::max(out.peak_rss_bytes, s.rss_bytes);
  return out;
}

double ModeOutcome::latency_percentile_ms(double p) const {
  return latencies_ms.empty() ? 0 : bench::percentile(latencies_ms, p);
}

json ModeOutcome::to_json() const {
  json samples_json = json::array();
  for (const auto& s : samples) samples_json.push_back({s.t_s, s.rss_bytes});
  return json{{"mode", mode},
              {"host_memory_cap_mib", 0},
              {"answered", answered},
              {"failed", failed},
              {"errors", errors},
              {"cold_starts", cold_starts},
              {"p50_ms", latency_percentile_ms(50)},
              {"p99_ms", latency_percentile_ms(99)},
              {"latencies_ms", latencies_ms},
              {"footprint_gib_s", footprint_gib_s},
              {"peak_rss_mib", to_mib(peak_rss_bytes)},
              {"migrated_pages", migrated_pages},
              {"reclaims", reclaims},
              {"rss_samples", samples_json}};
}

}  // namespace hotmem::replay

// End to end: two functions share a host memory budget that holds both VMs
// and one instance (a third VM is refused before it boots). Invoking the second function evicts the first's idle
// instance (its partition unplugged, its QEMU smaller, nothing migrated)
// and then runs; with nothing idle, an invocation waits for memory and gets
// 503 with Retry-After; an `auto` budget that shrinks under what is
// committed (another tenant took host memory) evicts an idle instance. The
// budget's committed memory is sampled throughout and never exceeds it
// while the budget stands.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/poll.h"
#include "host/guest_workloads.h"
#include "daemon_fixture.h"

namespace hotmem::e2e {
namespace {

using serve::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kBootMib = 512;      // test_vm_config's boot memory: each VM's idle commitment
constexpr std::uint64_t kInstanceMib = 192;  // a 256 MiB partition
constexpr std::uint64_t kPartitionMib = 256;
constexpr std::uint64_t kWorkMib = 96;
constexpr auto kApiTimeout = 4s;  // an invocation's wait, through the API

class Budget : public ::testing::Test {
 protected:
  void SetUp() override {
    // An auto budget whose host the test plays: MemAvailable is whatever
    // makes the budget `target_` beside the VMs' own resident memory.
    DaemonOptions options;
    options.max_functions = 3;
    options.budget.budget_bytes.reset();
    options.budget.reserve_bytes = 0;
    options.budget.period = 200ms;
    options.probe = [this]() -> Result<serve::HostMemory> {
      std::uint64_t resident = 0;
      for (const auto& f : daemon_->registry().list()) resident += f->rss_bytes();
      return serve::HostMemory{target_.load() - std::min(target_.load(), resident), std::nullopt};
    };
    options.limits.invoke_timeout = kApiTimeout;
    daemon_ = std::make_unique<InProcessDaemon>("e2e-budget", std::move(options));
    ASSERT_TRUE(daemon_->start());
  }
  // The probe reads daemon_: no host re-read may run while it goes.
  void TearDown() override {
    daemon_->broker().stop();
    daemon_.reset();
  }

  httplib::Client client() { return daemon_->client(); }
  json memory() {
    auto r = client().Get("/v1/memory");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET /v1/memory failed";
      return json::object();
    }
    return json::parse(r->body);
  }
  std::shared_ptr<serve::Function> function(const std::string& name) {
    auto f = daemon_->registry().find(name);
    EXPECT_TRUE(f) << name;
    return f ? *f : nullptr;
  }
  static std::size_t plugged_partitions(serve::Function& f) {
    const json described = f.describe();
    return static_cast<std::size_t>(std::count_if(
        described["memory"]["partitions"].begin(), described["memory"]["partitions"].end(),
        [](const json& p) { return p["state"] != "empty"; }));
  }

  std::atomic<std::uint64_t> target_ = (2 * kBootMib + kPartitionMib + kPartitionMib / 2) * kMiB;
  std::unique_ptr<InProcessDaemon> daemon_;
};

TEST_F(Budget, ScaleUpsEvictIdleInstancesWaitWhenNothingIsIdleAndAShrinkingBudgetEvicts) {
  // Both VMs fit, and one instance beside them; two instances do not.
  for (const char* name : {"a", "b"}) {
    auto r = client().Put(fmt::format("/v1/functions/{}", name),
                          json{{"command", host::action_argv(48)}, {"memory_mib", kInstanceMib}, {"concurrency", 2},
                               {"mode", "hotmem"}, {"keep_alive_s", 600}}
                              .dump(),
                          "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  auto a = function("a");
  auto b = function("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(memory()["committed_bytes"].get<std::uint64_t>(), 2 * kBootMib * kMiB);
  // A third VM and its instance could never fit beside them: refused before
  // it boots, saying how much is missing.
  auto third = client().Put("/v1/functions/c",
                            json{{"command", host::action_argv(48)}, {"memory_mib", kInstanceMib}}.dump(),
                            "application/json");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 429) << third->body;
  EXPECT_NE(third->body.find("missing"), std::string::npos) << third->body;
  EXPECT_EQ(daemon_->registry().list().size(), 2u);

  // Committed memory against the budget, sampled while the budget stands.
  std::atomic<bool> sampling = true;
  std::atomic<std::int64_t> worst_over = std::numeric_limits<std::int64_t>::min();
  std::thread sampler([&] {
    while (sampling) {
      const auto over = static_cast<std::int64_t>(daemon_->broker().committed_bytes()) -
                        static_cast<std::int64_t>(daemon_->broker().budget_bytes());
      worst_over = std::max(worst_over.load(), over);
      std::this_thread::sleep_for(20ms);
    }
  });
  const json work{{"mib", kWorkMib}};

  // a's instance runs, then stays idle (keep-alive 600 s).
  auto first = a->invoke(work, 120s);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(first->cold);
  ASSERT_EQ(plugged_partitions(*a), 1u);
  const std::uint64_t rss_a_busy = a->rss_bytes();

  // b needs that memory: a's idle instance is evicted (its partition
  // unplugged, nothing migrated) and b runs.
  auto second = b->invoke(work, 120s);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->cold);
  EXPECT_TRUE(a->describe()["instances"].empty()) << a->describe().dump(2);
  EXPECT_EQ(plugged_partitions(*a), 0u) << a->describe()["memory"].dump(2);
  EXPECT_EQ(plugged_partitions(*b), 1u);
  EXPECT_EQ(daemon_->metrics().counter(serve::kEvictions, "a"), 1);
  EXPECT_EQ(daemon_->metrics().counter(serve::kMigratedPages, "a"), 0);
  EXPECT_LE(a->rss_bytes() + kWorkMib * kMiB * 8 / 10, rss_a_busy)
      << "a's QEMU kept the evicted instance's memory: " << to_mib(rss_a_busy) << " -> " << to_mib(a->rss_bytes())
      << " MiB";
  json state = memory();
  EXPECT_EQ(state["evictions"], 1);
  EXPECT_EQ(state["functions"]["b"].get<std::uint64_t>(), (kBootMib + kPartitionMib) * kMiB) << state.dump(2);
  EXPECT_EQ(state["functions"]["a"].get<std::uint64_t>(), kBootMib * kMiB) << state.dump(2);

  // Nothing idle: b's instance is busy, so a's scale up waits for memory
  // and, past the API's timeout, gets 503 with Retry-After.
  auto busy = std::async(std::launch::async, [&] { return b->invoke(json{{"mib", kWorkMib}, {"ms", 9000}}, 120s); });
  for (int i = 0; i < 100 && b->describe()["instances"][0]["state"] != "busy"; ++i) std::this_thread::sleep_for(50ms);
  const auto asked = Clock::now();
  auto refused = client().Post("/v1/functions/a/invoke", work.dump(), "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  const json error = json::parse(refused->body, nullptr, false);
  EXPECT_EQ(error.value("error", ""), "memory budget exhausted") << refused->body;
  EXPECT_GE(Clock::now() - asked, kApiTimeout - 500ms) << "it did not wait for memory";
  EXPECT_GE(memory()["memory_waits"].get<int>(), 1);
  EXPECT_EQ(plugged_partitions(*a), 0u);
  auto busy_done = busy.get();
  ASSERT_TRUE(busy_done) << busy_done.error().message();
  sampling = false;
  sampler.join();
  EXPECT_LE(worst_over.load(), 0) << "committed memory went over the budget by " << worst_over.load() << " bytes";

  // Another tenant takes host memory: the budget shrinks under what is
  // committed and b's idle instance is evicted to get back under it.
  target_ = (2 * kBootMib + kPartitionMib / 2) * kMiB;
  // (The eviction is counted once its retire has returned, after the
  // partition is empty and the memory released.)
  auto evicted = poll_until([&]() -> Result<bool> { return memory()["evictions"] == 2; }, 30s,
                            [] { return std::string("b's idle instance to be evicted"); });
  EXPECT_TRUE(evicted) << evicted.error().message() << "\n" << memory().dump(2);
  EXPECT_EQ(plugged_partitions(*b), 0u) << b->describe()["memory"].dump(2);
  state = memory();
  EXPECT_LE(state["committed_bytes"].get<std::uint64_t>(), state["budget_bytes"].get<std::uint64_t>())
      << state.dump(2);
  EXPECT_EQ(daemon_->metrics().counter(serve::kMigratedPages, "b"), 0);
}

}  // namespace
}  // namespace hotmem::e2e

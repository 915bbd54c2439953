#include "serve/memory_broker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>
#include <utility>

#include "common/size.h"
#include "common/temp_dir.h"
#include "common/test_helpers.h"

namespace hotmem::serve {
namespace {

using namespace std::chrono_literals;
using hotmem::test::contains;
using Names = std::vector<std::string>;

// Time that moves only when the test advances it. wait() returns after
// ~1 ms of real time at most (a spurious wakeup, which BrokerClock allows),
// so the broker's loops re-check; a `strict` one returns only when notified
// or when the fake time reaches `until`, as the real clock does (but it may
// miss a notification that lands between two of its 1 ms slices).
class FakeClock final : public BrokerClock {
 public:
  Clock::time_point now() override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point until) override {
    do {
      if (cv.wait_for(lock, 1ms) == std::cv_status::no_timeout) return;
    } while (strict && now() < until);
  }
  void advance(Clock::duration by) {
    std::lock_guard lock(mutex_);
    now_ += by;
  }

  std::atomic<bool> strict{false};

 private:
  std::mutex mutex_;
  Clock::time_point now_ = Clock::time_point() + 1000h;
};

// A function VM whose idle instances the broker may evict; retiring them
// gives their memory back to the broker, as ServedFunction's retire does.
class FakeTenant final : public MemoryTenant {
 public:
  FakeTenant(MemoryBroker& broker, AccountId account) : broker_(broker), account_(account) {}

  AccountId account() const { return account_; }
  void add_idle(IdleInstance instance) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(instance));
  }
  Names evicted() {
    std::lock_guard lock(mutex_);
    return evicted_;
  }

  std::vector<IdleInstance> idle_instances() override {
    if (on_scan) on_scan();
    std::lock_guard lock(mutex_);
    return idle_;
  }
  std::size_t evict(const Names& instances) override {
    std::uint64_t freed = 0;
    std::size_t retired = 0;
    {
      std::lock_guard lock(mutex_);
      retired = std::erase_if(idle_, [&](const IdleInstance& i) {
        if (std::find(instances.begin(), instances.end(), i.instance) == instances.end()) return false;
        freed += i.bytes;
        evicted_.push_back(i.instance);
        return true;
      });
    }
    broker_.release(account_, freed);  // never with our own lock held
    return retired;
  }
  std::uint64_t resident_bytes() override { return resident; }

  std::atomic<std::uint64_t> resident{0};
  std::function<void()> on_scan;  // set before the broker may call

 private:
  MemoryBroker& broker_;
  const AccountId account_;
  std::mutex mutex_;
  std::vector<IdleInstance> idle_;  // oldest first, as the tests add them
  Names evicted_;
};

template <class T>
T must(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().message());
  return std::move(result).value();
}

BudgetConfig fixed(std::uint64_t budget, ReclaimPolicy policy = ReclaimPolicy::kSync) {
  BudgetConfig config;
  config.budget_bytes = budget;
  config.policy = policy;
  return config;
}

class MemoryBrokerTest : public testing::Test {
 protected:
  using Answer = std::shared_future<Result<Admission>>;

  ~MemoryBrokerTest() override {
    stop();
    waiters_.clear();  // they failed: join them before the broker goes
  }
  // Fails the waiters and ends the housekeeper; with a non-strict clock
  // neither can miss the notification.
  void stop() {
    clock_->strict = false;
    if (broker_) broker_->stop();
  }

  MemoryBroker& make_broker(BudgetConfig config) {
    auto probe = [this]() -> Result<HostMemory> {
      ++probes_;
      std::lock_guard lock(host_mutex_);
      return host_;
    };
    broker_ = std::make_unique<MemoryBroker>(std::move(config), metrics_, probe, clock_);
    return *broker_;
  }
  Clock::time_point ago(Clock::duration d) { return clock_->now() - d; }

  // A function VM with `idle_bytes` committed and `idle` instances started
  // (their memory acquired) and gone idle.
  std::shared_ptr<FakeTenant> deploy(const std::string& function, std::uint64_t idle_bytes = 0,
                                     const std::vector<IdleInstance>& idle = {}) {
    auto tenant = std::make_shared<FakeTenant>(*broker_, must(broker_->open(function, {idle_bytes, 0})));
    broker_->attach(tenant->account(), tenant);
    tenants_.push_back(tenant);
    for (const IdleInstance& i : idle) {
      hold(*tenant, i.bytes);
      tenant->add_idle(i);
    }
    return tenant;
  }
  // A scale up that must be granted at once (its deadline is now).
  void hold(const FakeTenant& tenant, std::uint64_t bytes) {
    EXPECT_EQ(must(broker_->acquire(tenant.account(), bytes, clock_->now())), Admission::kGranted);
  }
  // A scale up on its own thread.
  Answer acquire_async(const FakeTenant& tenant, std::uint64_t bytes, Clock::time_point deadline,
                       std::function<bool()> abandon = {}) {
    const AccountId account = tenant.account();
    waiters_.push_back(std::async(std::launch::async, [=, this] {
                         return broker_->acquire(account, bytes, deadline, abandon);
                       }).share());
    return waiters_.back();
  }
  // "a" holds the whole 1 GiB budget; "b" waits for 1 GiB until 5 s from now.
  Answer blocked_scale_up(std::function<bool()> abandon = {}) {
    make_broker(fixed(kGiB));
    holder_ = deploy("a");
    hold(*holder_, kGiB);
    Answer answer = acquire_async(*deploy("b"), kGiB, clock_->now() + 5s, std::move(abandon));
    EXPECT_TRUE(queued(1));
    return answer;
  }

  // Until `n` scale ups are queued and each found that it must wait (its
  // ticket is taken before that).
  bool queued(std::size_t n) {
    return eventually([&] {
      const nlohmann::json status = broker_->to_json();
      return status["waiting"] == n && status["memory_waits"] == n;
    });
  }
  // Polls for at most 1 s of real time.
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 10000; ++i, std::this_thread::sleep_for(100us)) {
      if (done()) return true;
    }
    return false;
  }
  static bool pending(const Answer& answer) { return answer.wait_for(20ms) == std::future_status::timeout; }

  void set_host(std::uint64_t available, std::optional<double> pressure = std::nullopt) {
    std::lock_guard lock(host_mutex_);
    host_ = {available, pressure};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  Metrics metrics_;
  std::mutex host_mutex_;
  HostMemory host_;
  std::atomic<int> probes_{0};
  std::unique_ptr<MemoryBroker> broker_;
  std::vector<std::shared_ptr<FakeTenant>> tenants_;
  std::shared_ptr<FakeTenant> holder_;
  std::vector<Answer> waiters_;
};

using MemoryBrokerAdmission = MemoryBrokerTest;
using MemoryBrokerEviction = MemoryBrokerTest;
using MemoryBrokerQueue = MemoryBrokerTest;
using MemoryBrokerPolicy = MemoryBrokerTest;
using MemoryBrokerAuto = MemoryBrokerTest;

TEST_F(MemoryBrokerAdmission, OpenCommitsTheIdleMemoryAndRefusesWhatCouldNeverRun) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  ASSERT_TRUE(broker.open("a", {kGiB, kGiB}));
  EXPECT_EQ(broker.committed_bytes(), kGiB);

  // b's VM (2 GiB) would fit the 3 GiB free, but not with one instance (1.5 GiB)
  // beside a's VM (1 GiB): 4.5 GiB of a 4 GiB budget.
  auto refused = broker.open("b", {2 * kGiB, 1536 * kMiB});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(contains(refused.error().message(), "512 MiB missing")) << refused.error().message();
  EXPECT_EQ(broker.committed_bytes(), kGiB);
}

TEST_F(MemoryBrokerAdmission, AcquireGrantsAtOnceReleaseKeepsTheIdleCommitmentCloseGivesAllBack) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  auto a = deploy("a", kGiB);
  hold(*a, kGiB);
  hold(*deploy("b", 512 * kMiB), 512 * kMiB);
  const nlohmann::json status = broker.to_json();
  EXPECT_EQ(status["budget_bytes"], 4 * kGiB);
  EXPECT_EQ(status["committed_bytes"], 3 * kGiB);
  EXPECT_EQ(status["free_bytes"], kGiB);
  EXPECT_EQ(status["functions"], (nlohmann::json{{"a", 2 * kGiB}, {"b", kGiB}}));

  broker.release(a->account(), 10 * kGiB);
  EXPECT_EQ(broker.committed_bytes(), 2 * kGiB);  // a's VM stays committed
  broker.close(a->account());
  broker.close(a->account());
  broker.release(a->account(), kGiB);
  EXPECT_EQ(broker.committed_bytes(), kGiB);
  EXPECT_EQ(broker.to_json()["functions"], (nlohmann::json{{"b", kGiB}}));
  auto gone = broker.acquire(a->account(), kGiB, clock_->now());
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::kUnavailable);
}

// GET /v1/memory's history: what was committed, a sample per second in
// which it changed (the dashboard's chart), scale ups and releases included.
TEST_F(MemoryBrokerAdmission, TheHistoryFollowsWhatIsCommittedSecondBySecond) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  clock_->advance(1s);
  auto a = deploy("a", kGiB);
  clock_->advance(2s);
  hold(*a, 512 * kMiB);
  clock_->advance(2s);
  broker.release(a->account(), 512 * kMiB);
  const nlohmann::json history = broker.to_json()["history"];
  EXPECT_EQ(history["window_s"], 300);
  std::vector<std::uint64_t> last;
  for (const nlohmann::json& sample : history["samples"]) last.push_back(sample["last_bytes"].get<std::uint64_t>());
  EXPECT_EQ(last, (std::vector<std::uint64_t>{0, kGiB, kGiB + 512 * kMiB, kGiB})) << history.dump();
  ASSERT_FALSE(history["samples"].empty());
  EXPECT_DOUBLE_EQ(history["samples"].back()["age_ms"].get<double>(), 0.0);
}

TEST_F(MemoryBrokerAdmission, RenewKeepsTheIdleCommitmentForTheRebootAndIgnoresTheEndedVm) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  auto a = deploy("a", kGiB);
  hold(*a, 2 * kGiB);
  const AccountId renewed = must(broker.renew(a->account()));
  EXPECT_NE(renewed, a->account());
  EXPECT_EQ(broker.committed_bytes(), kGiB);  // its VM's idle commitment, as a fresh deploy shows
  EXPECT_EQ(broker.to_json()["functions"], (nlohmann::json{{"a", kGiB}}));
  EXPECT_TRUE(contains(metrics_.render(), "hotmem_memory_committed_bytes{function=\"a\"} 1073741824"))
      << metrics_.render();

  // The ended VM's late releases and scale ups change nothing.
  broker.release(a->account(), 2 * kGiB);
  EXPECT_FALSE(broker.acquire(a->account(), kGiB, clock_->now()));
  EXPECT_FALSE(broker.renew(a->account()));
  EXPECT_EQ(broker.committed_bytes(), kGiB);

  // The new VM's account works like the first: scale up, release, close.
  EXPECT_EQ(must(broker.acquire(renewed, kGiB, clock_->now())), Admission::kGranted);
  EXPECT_EQ(broker.committed_bytes(), 2 * kGiB);
  broker.release(renewed, kGiB);
  EXPECT_EQ(broker.committed_bytes(), kGiB);
  broker.close(renewed);
  EXPECT_EQ(broker.committed_bytes(), 0u);
}

TEST_F(MemoryBrokerEviction, EvictsLeastRecentlyUsedFirstOnlyAsManyAsNeededAcrossFunctions) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  // The oldest, but retiring it gives nothing back (static): never evicted.
  auto a = deploy("a", 0, {{"static", ago(60s), 0}, {"a1", ago(30s), kGiB}, {"a2", ago(10s), kGiB}});
  auto b = deploy("b", 0, {{"b1", ago(20s), kGiB}});
  auto c = deploy("c");

  hold(*c, 2 * kGiB);  // 1 GiB free: a1 makes room
  EXPECT_EQ(a->evicted(), Names{"a1"});
  EXPECT_TRUE(b->evicted().empty());

  hold(*c, 2 * kGiB);  // nothing free: b1 and a2
  EXPECT_EQ(a->evicted(), (Names{"a1", "a2"}));
  EXPECT_EQ(b->evicted(), Names{"b1"});

  EXPECT_EQ(broker.committed_bytes(), 4 * kGiB);
  EXPECT_EQ(broker.to_json()["evictions"], 3);
  EXPECT_EQ(metrics_.counter(kEvictions, "a"), 2);
  EXPECT_EQ(metrics_.counter(kEvictions, "b"), 1);
}

TEST_F(MemoryBrokerEviction, EvictsNothingWhenAllIdleInstancesWouldNotBeEnough) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  auto a = deploy("a", 0, {{"a1", ago(10s), kGiB}});
  hold(*a, 2 * kGiB);  // busy

  auto refused = broker.acquire(deploy("c")->account(), 3 * kGiB, clock_->now());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(a->evicted().empty());
  EXPECT_EQ(broker.to_json()["evictions"], 0);
}

TEST_F(MemoryBrokerQueue, WaitsUntilMemoryIsReleased) {
  Answer answer = blocked_scale_up();
  EXPECT_TRUE(pending(answer));
  EXPECT_EQ(metrics_.counter(kMemoryWaits, "b"), 1);

  std::thread([&] { broker_->release(holder_->account(), kGiB); }).join();
  EXPECT_EQ(must(answer.get()), Admission::kGranted);
  EXPECT_EQ(broker_->to_json()["waiting"], 0);
  EXPECT_EQ(broker_->committed_bytes(), kGiB);
}

TEST_F(MemoryBrokerQueue, FirstComeFirstServedEvenWhenALaterOneWouldFit) {
  MemoryBroker& broker = make_broker(fixed(4 * kGiB));
  auto holder = deploy("holder");
  hold(*holder, 4 * kGiB);
  Answer first = acquire_async(*deploy("a"), 2 * kGiB, clock_->now() + 1h);
  ASSERT_TRUE(queued(1));
  Answer second = acquire_async(*deploy("b"), kGiB, clock_->now() + 1h);
  ASSERT_TRUE(queued(2));

  broker.release(holder->account(), kGiB);  // fits the second, not the first
  EXPECT_TRUE(pending(first));
  EXPECT_TRUE(pending(second));

  broker.release(holder->account(), kGiB);
  EXPECT_EQ(must(first.get()), Admission::kGranted);
  EXPECT_TRUE(pending(second));

  broker.release(holder->account(), kGiB);
  EXPECT_EQ(must(second.get()), Admission::kGranted);
}

TEST_F(MemoryBrokerQueue, FailsPastItsDeadline) {
  Answer answer = blocked_scale_up();
  clock_->advance(4s);
  EXPECT_TRUE(pending(answer));

  clock_->advance(1s);
  const auto& result = answer.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().reason(), "memory budget exhausted");
  EXPECT_EQ(broker_->to_json()["waiting"], 0);
}

TEST_F(MemoryBrokerQueue, AbandonsWhenItsFunctionHasAnIdleInstanceAgain) {
  auto idle_again = std::make_shared<std::atomic<bool>>(false);
  Answer answer = blocked_scale_up([idle_again] { return idle_again->load(); });
  *idle_again = true;
  broker_->poke();
  EXPECT_EQ(must(answer.get()), Admission::kAbandoned);
}

TEST_F(MemoryBrokerQueue, StopFailsEveryWaiter) {
  Answer answer = blocked_scale_up();
  broker_->stop();
  const auto& result = answer.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
}

// The front scale up looks for idle instances without the broker's lock; a
// release then must not wait for the next period to be seen.
TEST_F(MemoryBrokerQueue, AReleaseWhileTheFrontOneLooksForIdleInstancesIsNotMissed) {
  clock_->strict = true;
  MemoryBroker& broker = make_broker(fixed(kGiB));
  auto a = deploy("a");
  hold(*a, kGiB);
  std::promise<void> scanning, released;
  a->on_scan = [&scanning, go = released.get_future().share(), first = true]() mutable {
    if (!std::exchange(first, false)) return;
    scanning.set_value();
    go.wait_for(1s);
  };
  Answer answer = acquire_async(*deploy("b"), kGiB, clock_->now() + 1h);
  ASSERT_EQ(scanning.get_future().wait_for(1s), std::future_status::ready);

  broker.release(a->account(), kGiB);
  released.set_value();
  EXPECT_EQ(answer.wait_for(500ms), std::future_status::ready) << "the release was missed until the next period";
}

TEST_F(MemoryBrokerPolicy, HarvestKeepsSlackFreeFromInstancesIdleLongEnough) {
  BudgetConfig config = fixed(2 * kGiB, ReclaimPolicy::kHarvest);
  config.slack_bytes = kGiB;
  config.harvest_min_idle = 10s;
  MemoryBroker& broker = make_broker(config);
  auto a = deploy("a", 0, {{"old1", ago(60s), 512 * kMiB}, {"old2", ago(30s), 512 * kMiB}, {"young", ago(1s), kGiB}});

  broker.tick();
  EXPECT_EQ(a->evicted(), (Names{"old1", "old2"}));
  EXPECT_EQ(broker.to_json()["free_bytes"], kGiB);

  hold(*deploy("c"), kGiB);  // the slack is taken; `young` is not idle long enough
  broker.tick();
  EXPECT_EQ(a->evicted().size(), 2u);

  clock_->advance(10s);
  broker.tick();
  EXPECT_EQ(a->evicted(), (Names{"old1", "old2", "young"}));
  EXPECT_EQ(metrics_.counter(kEvictions, "a"), 3);
}

TEST_F(MemoryBrokerPolicy, SyncNeverEvictsInTickUnderAFixedBudget) {
  MemoryBroker& broker = make_broker(fixed(kGiB, ReclaimPolicy::kSync));
  auto a = deploy("a", 0, {{"a1", ago(1h), kGiB}});
  clock_->advance(1h);
  broker.tick();
  EXPECT_TRUE(a->evicted().empty());
  EXPECT_EQ(broker.to_json()["evictions"], 0);
}

TEST_F(MemoryBrokerAuto, StartSetsTheBudgetFromTheHostOrSaysWhyItCannot) {
  set_host(kGiB);  // no more than the reserve
  auto started = make_broker(BudgetConfig{}).start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(started.error().message(), "no memory to budget")) << started.error().message();

  set_host(10 * kGiB);
  MemoryBroker& broker = make_broker(BudgetConfig{});
  ASSERT_TRUE(broker.start());
  EXPECT_EQ(broker.budget_bytes(), 9 * kGiB);
  EXPECT_EQ(broker.to_json()["auto"], true);
  EXPECT_EQ(broker.to_json()["reserve_bytes"], kGiB);
  broker.stop();
}

TEST_F(MemoryBrokerAuto, TickFollowsTheHostAndEvictsUnderAShrunkBudget) {
  MemoryBroker& broker = make_broker(BudgetConfig{});  // not started: tick() by hand
  auto a = deploy("a", kGiB, {{"a1", ago(30s), kGiB}, {"a2", ago(10s), kGiB}});
  auto b = deploy("b", kGiB, {{"b1", ago(20s), kGiB}});
  a->resident = 3 * kGiB;
  b->resident = 2 * kGiB;

  set_host(5 * kGiB);  // 5 GiB available + 5 GiB ours - 1 GiB reserve
  broker.tick();
  EXPECT_EQ(broker.budget_bytes(), 9 * kGiB);

  set_host(kGiB / 2);  // another tenant took 4.5 GiB: 0.5 GiB over
  broker.tick();
  EXPECT_EQ(broker.budget_bytes(), 4 * kGiB + kGiB / 2);
  EXPECT_EQ(a->evicted(), Names{"a1"});
  EXPECT_TRUE(b->evicted().empty());
  EXPECT_EQ(broker.committed_bytes(), 4 * kGiB);
}

TEST_F(MemoryBrokerAuto, PressureStopsTheBudgetGrowingButNotShrinking) {
  MemoryBroker& broker = make_broker(BudgetConfig{});
  auto budget_after = [&](std::uint64_t available, std::optional<double> pressure) {
    set_host(available, pressure);
    broker.tick();
    return broker.budget_bytes();
  };
  EXPECT_EQ(budget_after(5 * kGiB, 50.0), 4 * kGiB);
  EXPECT_EQ(budget_after(8 * kGiB, 10.0), 4 * kGiB);
  EXPECT_EQ(broker.to_json()["host_pressure_some_avg10"], 10.0);
  EXPECT_EQ(budget_after(3 * kGiB, 50.0), 2 * kGiB);
  EXPECT_EQ(budget_after(8 * kGiB, 9.9), 7 * kGiB);
  EXPECT_EQ(budget_after(9 * kGiB, std::nullopt), 8 * kGiB);
}

TEST_F(MemoryBrokerAuto, RereadsTheHostOncePerPeriodNotOnEveryChange) {
  clock_->strict = true;
  set_host(10 * kGiB);
  MemoryBroker& broker = make_broker(BudgetConfig{});  // a period of 1 s
  ASSERT_TRUE(broker.start());
  for (int i = 0; i < 5; ++i, std::this_thread::sleep_for(2ms)) broker.poke();  // as instances going idle do
  EXPECT_EQ(probes_.load(), 1) << "the host was re-read before a period went by";

  clock_->advance(1s);
  EXPECT_TRUE(eventually([&] { return probes_ >= 2; }));
  stop();
}

// read_host_memory() on a fake /proc with `meminfo` and, if given, pressure/memory.
Result<HostMemory> read_fake_proc(const std::string& meminfo, const std::optional<std::string>& pressure = {}) {
  const TempDir proc = must(TempDir::create(std::filesystem::temp_directory_path(), "memory_broker_test."));
  std::ofstream(proc.path() / "meminfo") << meminfo;
  if (pressure) {
    std::filesystem::create_directory(proc.path() / "pressure");
    std::ofstream(proc.path() / "pressure" / "memory") << *pressure;
  }
  return read_host_memory(proc.path());
}

TEST(MemoryBrokerHostMemory, ReadsMemAvailableAndPressure) {
  auto host = read_fake_proc("MemTotal:  999999 kB\nMemFree:  1000 kB\nMemAvailable:  123456 kB\n",
                             "some avg10=12.50 avg60=3.00 avg300=1.00 total=1234\n"
                             "full avg10=99.00 avg60=0.00 avg300=0.00 total=0\n");
  ASSERT_TRUE(host) << host.error().message();
  EXPECT_EQ(host->available_bytes, 123456 * kKiB);
  EXPECT_EQ(host->pressure_some_avg10, 12.5);
}

TEST(MemoryBrokerHostMemory, NeedsMemAvailableButNotPressure) {
  auto no_available = read_fake_proc("MemTotal:  999999 kB\nMemFree:  1000 kB\n", "some avg10=1.00\n");
  ASSERT_FALSE(no_available);
  EXPECT_TRUE(contains(no_available.error().message(), "no MemAvailable")) << no_available.error().message();

  auto no_pressure = read_fake_proc("MemAvailable:  2048 kB\n");
  ASSERT_TRUE(no_pressure) << no_pressure.error().message();
  EXPECT_EQ(no_pressure->available_bytes, 2 * kMiB);
  EXPECT_FALSE(no_pressure->pressure_some_avg10);
}

TEST(MemoryBrokerReclaimPolicy, ParsesSyncAndHarvestOnly) {
  EXPECT_EQ(must(parse_reclaim_policy("sync")), ReclaimPolicy::kSync);
  EXPECT_EQ(must(parse_reclaim_policy("harvest")), ReclaimPolicy::kHarvest);
  auto bad = parse_reclaim_policy("lazy");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(bad.error().message(), "lazy")) << bad.error().message();
}

}  // namespace
}  // namespace hotmem::serve

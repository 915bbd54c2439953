// One host's memory shared by every function VM: the memory budget.
//
// Every function VM is an account. Its VM's idle commitment (boot memory,
// the balloon's floor, or everything for static) is admitted when it is
// deployed, and each instance's memory (a partition, a share of the device
// or of the balloon) is admitted before it is plugged, so what the accounts
// commit never exceeds the budget.
//
// A scale up that does not fit takes its turn (first come first served
// across functions). At the front, it evicts idle instances of any
// function, least recently used first, even before their keep-alive ends
// (MemoryTenant::evict: stop them, reclaim their memory, synchronously) and
// then takes the memory. With too little idle to evict, it waits until
// memory is released, until its own function has an idle instance again
// (`abandon`), or until its deadline.
//
// Policies: `sync` evicts exactly what waiting scale ups need, when they
// need it. `harvest` (the paper's HarvestVM-opts baseline) also keeps a
// slack of free budget by evicting idle instances in the background, so a
// scale up usually finds memory at once.
//
// An `auto` budget follows the host: every period it is MemAvailable plus
// what the function VMs themselves hold (their QEMU RSS) less a reserve, so
// another tenant taking host memory shrinks it, and idle instances are
// evicted to get back under it. It does not grow while the host's memory
// pressure (PSI "some" avg10) is at or above 10%.
//
// Thread-safe. Tenants are called without the broker's lock held, and must
// not hold their own lock when they call the broker, except for close(),
// renew() and release(), which neither wait nor call a tenant.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "common/size.h"
#include "host/memory_mode.h"
#include "serve/committed_history.h"
#include "serve/metrics.h"

namespace hotmem::serve {

enum class ReclaimPolicy { kSync, kHarvest };
std::string_view to_string(ReclaimPolicy policy);
Result<ReclaimPolicy> parse_reclaim_policy(std::string_view text);

// An idle instance the broker may evict.
struct IdleInstance {
  std::string instance;
  Clock::time_point idle_since;
  std::uint64_t bytes = 0;  // what retiring it gives back
};

// What the broker asks of a function (ServedFunction, OneToOneFunction).
class MemoryTenant {
 public:
  virtual ~MemoryTenant() = default;
  virtual std::vector<IdleInstance> idle_instances() = 0;
  // Retires those of `instances` that are still idle and releases their
  // memory to the broker; returns how many it retired.
  virtual std::size_t evict(const std::vector<std::string>& instances) = 0;
  // Host memory its VM holds now (QEMU's RSS), for an auto budget.
  virtual std::uint64_t resident_bytes() = 0;
};

struct HostMemory {
  std::uint64_t available_bytes = 0;          // /proc/meminfo MemAvailable
  std::optional<double> pressure_some_avg10;  // /proc/pressure/memory, when the kernel has PSI
};
// Reads them under `proc` (tests give another root).
Result<HostMemory> read_host_memory(const std::filesystem::path& proc = "/proc");
using HostProbe = std::function<Result<HostMemory>()>;

// The broker's time: real, or a fake one in unit tests.
class BrokerClock {
 public:
  virtual ~BrokerClock() = default;
  virtual Clock::time_point now() = 0;
  // Waits on `cv` until notified or `until`, whichever first (spurious
  // wakeups allowed).
  virtual void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point until) = 0;
};
std::shared_ptr<BrokerClock> real_broker_clock();

inline constexpr std::uint64_t kUnlimitedBudget = std::uint64_t{1} << 62;

struct BudgetConfig {
  std::optional<std::uint64_t> budget_bytes;  // none: auto (follows the host)
  std::uint64_t reserve_bytes = kGiB;         // auto: what is left to the host
  ReclaimPolicy policy = ReclaimPolicy::kSync;
  std::uint64_t slack_bytes = 512 * kMiB;  // harvest: free budget kept ready
  // harvest: an instance is harvested only after being idle this long.
  Clock::duration harvest_min_idle = std::chrono::seconds(1);
  Clock::duration period = std::chrono::seconds(1);  // host re-read, harvest refill
  double pressure_hold = 10;                         // auto: PSI avg10 (%) at which the budget stops growing
};

// A budget that never binds (accounting only), for runs that measure the
// committed memory rather than limit it.
BudgetConfig unlimited_budget();

using AccountId = std::uint64_t;

// What a function VM commits with no instance, and what each adds.
using Commitment = host::MemoryCommitment;

enum class Admission { kGranted, kAbandoned };

class MemoryBroker {
 public:
  MemoryBroker(BudgetConfig config, Metrics& metrics, HostProbe probe = [] { return read_host_memory(); },
               std::shared_ptr<BrokerClock> clock = real_broker_clock());
  ~MemoryBroker();
  MemoryBroker(const MemoryBroker&) = delete;
  MemoryBroker& operator=(const MemoryBroker&) = delete;

  // Sets the first budget (auto: reads the host; fails when it cannot) and
  // starts the background work (auto re-reads, harvest). Before start() the
  // budget is `config.budget_bytes`, or unlimited. Once only.
  Status start();
  // Stops the background work and fails every waiter. Idempotent.
  void stop();

  // Admits a function VM before it boots: its idle commitment now (evicting
  // idle instances if that is needed, never waiting, so not in the scale
  // ups' queue); and only when one instance could ever run beside every
  // other VM's idle commitment.
  // kResourceExhausted says how much memory is missing.
  Result<AccountId> open(const std::string& function, const Commitment& commitment);
  // The tenant to evict from, once its VM runs.
  void attach(AccountId account, std::weak_ptr<MemoryTenant> tenant);
  // Releases everything the account holds (its VM ended). Idempotent.
  void close(AccountId account);
  // The account's VM ended and is to boot again: what it held beyond its
  // idle commitment is released, and that commitment moves to a new account
  // (same function and tenant), so the reboot cannot be starved and a late
  // release or acquire for the ended VM (on the old account) does nothing.
  // kUnavailable when the account is closed.
  Result<AccountId> renew(AccountId account);

  // Admits `bytes` more for the account (a scale up), waiting its turn and
  // evicting as said above. kAbandoned when `abandon()` turned true while it
  // waited; kUnavailable "memory budget exhausted" past `deadline`.
  Result<Admission> acquire(AccountId account, std::uint64_t bytes, Clock::time_point deadline,
                            const std::function<bool()>& abandon = {});
  // Memory given back (a retire, an aborted start).
  void release(AccountId account, std::uint64_t bytes);
  // A reclaim that timed out or came back short (counted).
  void note_reclaim_shortfall(AccountId account);
  // Something changed that a waiter may use (an instance went idle).
  void poke();

  // Runs one period of the background work now (unit tests; start() runs it
  // on a thread).
  void tick();

  std::uint64_t budget_bytes();
  std::uint64_t committed_bytes();
  // GET /v1/memory: {budget_bytes, committed_bytes, free_bytes, waiting,
  // evictions, memory_waits, reclaim_timeouts, policy, auto, functions,
  // history (CommittedHistory: the last 5 minutes)}.
  nlohmann::json to_json();

 private:
  struct Account {
    std::string function;
    std::weak_ptr<MemoryTenant> tenant;
    std::uint64_t idle_bytes = 0;
    std::uint64_t committed = 0;
  };
  struct Victim {
    std::weak_ptr<MemoryTenant> tenant;
    std::string function;
    IdleInstance idle;
  };

  std::uint64_t free_locked() const { return committed_ >= budget_ ? 0 : budget_ - committed_; }
  // Idle instances, least recently used first, until their bytes reach
  // `need` (nothing when all of them would not). Called unlocked.
  // With `partial`, as many as there are when they do not reach `need`.
  std::vector<Victim> pick_victims(std::uint64_t need, Clock::duration min_idle, bool partial = false);
  // Evicts them; returns how many went. Called unlocked.
  std::size_t evict(const std::vector<Victim>& victims);
  // Evicts until `want` bytes are free, if the idle instances allow it.
  std::size_t make_room(std::uint64_t want, Clock::duration min_idle, bool partial = false);
  // Marks that something changed, so a waiter that had dropped the lock when
  // it was notified does not sleep through it.
  void changed_locked() { ++generation_; }
  void publish_locked();
  void housekeep_loop();

  BudgetConfig config_;
  Metrics& metrics_;
  HostProbe probe_;
  std::shared_ptr<BrokerClock> clock_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t budget_;
  std::uint64_t committed_ = 0;
  CommittedHistory history_;  // of committed_, recorded as it is published
  std::map<AccountId, Account> accounts_;
  AccountId next_account_ = 1;
  std::deque<std::uint64_t> waiters_;  // tickets, first come first served
  std::uint64_t next_ticket_ = 0;
  std::uint64_t generation_ = 0;  // bumped on every release, close and poke
  std::uint64_t evictions_ = 0;
  std::uint64_t memory_waits_ = 0;
  std::uint64_t reclaim_shortfalls_ = 0;
  std::optional<double> pressure_;
  bool stopped_ = false;
  std::thread housekeeper_;
};

}  // namespace hotmem::serve

#include "serve/memory_broker.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/size.h"

namespace hotmem::serve {
namespace {

class RealClock final : public BrokerClock {
 public:
  Clock::time_point now() override { return Clock::now(); }
  void wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point until) override {
    cv.wait_until(lock, until);
  }
};

}  // namespace

std::string_view to_string(ReclaimPolicy policy) {
  return policy == ReclaimPolicy::kHarvest ? "harvest" : "sync";
}

Result<ReclaimPolicy> parse_reclaim_policy(std::string_view text) {
  if (text == "sync") return ReclaimPolicy::kSync;
  if (text == "harvest") return ReclaimPolicy::kHarvest;
  return Error(ErrorCode::kInvalidArgument, fmt::format("unknown reclaim policy '{}' (sync or harvest)", text));
}

Result<HostMemory> read_host_memory(const std::filesystem::path& proc) {
  std::ifstream meminfo(proc / "meminfo");
  if (!meminfo) return Error(fmt::format("cannot read {}", (proc / "meminfo").string()));
  HostMemory out;
  bool found = false;
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream fields(line);
    std::string key, unit;
    std::uint64_t kib = 0;
    if (fields >> key >> kib >> unit && key == "MemAvailable:" && unit == "kB") {
      out.available_bytes = kib * kKiB;
      found = true;
      break;
    }
  }
  if (!found) return Error(fmt::format("no MemAvailable in {}", (proc / "meminfo").string()));
  // "some avg10=0.00 avg60=0.00 avg300=0.00 total=0"
  std::ifstream pressure(proc / "pressure" / "memory");
  for (std::string line; std::getline(pressure, line);) {
    double avg10 = 0;
    if (std::sscanf(line.c_str(), "some avg10=%lf", &avg10) == 1) out.pressure_some_avg10 = avg10;
  }
  return out;
}

std::shared_ptr<BrokerClock> real_broker_clock() { return std::make_shared<RealClock>(); }

BudgetConfig unlimited_budget() {
  BudgetConfig c;
  c.budget_bytes = kUnlimitedBudget;
  return c;
}

MemoryBroker::MemoryBroker(BudgetConfig config, Metrics& metrics, HostProbe probe, std::shared_ptr<BrokerClock> clock)
    : config_(std::move(config)),
      metrics_(metrics),
      probe_(std::move(probe)),
      clock_(std::move(clock)),
      budget_(config_.budget_bytes.value_or(kUnlimitedBudget)) {
  std::lock_guard lock(mutex_);
  publish_locked();
}

MemoryBroker::~MemoryBroker() { stop(); }

Status MemoryBroker::start() {
  if (housekeeper_.joinable()) return Error("the memory broker is started already");
  if (!config_.budget_bytes) {
    auto host = probe_();
    if (!host) return host.error().context("read the host's available memory for the auto budget");
    if (host->available_bytes <= config_.reserve_bytes) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("the host has {} available, no more than the reserve of {}: no memory to budget",
                               format_size(host->available_bytes), format_size(config_.reserve_bytes)));
    }
    std::lock_guard lock(mutex_);
    budget_ = host->available_bytes - config_.reserve_bytes;
    pressure_ = host->pressure_some_avg10;
    publish_locked();
  }
  if (!config_.budget_bytes || config_.policy == ReclaimPolicy::kHarvest) {
    housekeeper_ = std::thread([this] { housekeep_loop(); });
  }
  return ok_status();
}

void MemoryBroker::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  changed_.notify_all();
  if (housekeeper_.joinable()) housekeeper_.join();
}

Result<AccountId> MemoryBroker::open(const std::string& function, const Commitment& commitment) {
  const std::uint64_t need = commitment.idle_bytes;
  for (int attempt = 0;; ++attempt) {
    std::uint64_t missing = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return Error(ErrorCode::kUnavailable, "the daemon is shutting down").with_reason("shutting down");
      std::uint64_t others_idle = 0;
      for (const auto& [id, a] : accounts_) others_idle += a.idle_bytes;
      const std::uint64_t ever = others_idle + commitment.idle_bytes + commitment.instance_bytes;
      if (ever > budget_) {
        return Error(ErrorCode::kResourceExhausted,
                     fmt::format("'{}' does not fit the host's memory budget: its VM ({}) and one instance ({}) "
                                 "beside the other VMs ({}) need {}, the budget is {}: {} missing",
                                 function, format_size(commitment.idle_bytes), format_size(commitment.instance_bytes),
                                 format_size(others_idle), format_size(ever), format_size(budget_),
                                 format_size(ever - budget_)))
            .with_reason("memory budget too small");
      }
      if (need <= free_locked()) {
        const AccountId id = next_account_++;
        accounts_[id] = Account{function, {}, commitment.idle_bytes, need};
        committed_ += need;
        publish_locked();
        return id;
      }
      missing = need - free_locked();
    }
    if (attempt == 0 && make_room(need, Clock::duration::zero()) > 0) continue;
    std::lock_guard lock(mutex_);
    return Error(ErrorCode::kResourceExhausted,
                 fmt::format("the VM of '{}' needs {}, but only {} of the host's memory budget ({}) is free and "
                             "too little is idle to evict: {} missing",
                             function, format_size(need), format_size(free_locked()), format_size(budget_),
                             format_size(missing)))
        .with_reason("memory budget exhausted");
  }
}

void MemoryBroker::attach(AccountId account, std::weak_ptr<MemoryTenant> tenant) {
  std::lock_guard lock(mutex_);
  if (auto it = accounts_.find(account); it != accounts_.end()) it->second.tenant = std::move(tenant);
}

void MemoryBroker::close(AccountId account) {
  {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return;
    committed_ -= std::min(committed_, it->second.committed);
    metrics_.forget_gauge(kMemoryCommitted, it->second.function);
    accounts_.erase(it);
    changed_locked();
    publish_locked();
  }
  changed_.notify_all();
}

Result<AccountId> MemoryBroker::renew(AccountId account) {
  AccountId id = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return Error(ErrorCode::kUnavailable, "the function's VM is gone");
    Account renewed = std::move(it->second);
    accounts_.erase(it);
    const std::uint64_t released = renewed.committed - std::min(renewed.committed, renewed.idle_bytes);
    renewed.committed -= released;
    committed_ -= released;
    id = next_account_++;
    accounts_.emplace(id, std::move(renewed));
    changed_locked();
    publish_locked();
  }
  changed_.notify_all();
  return id;
}

Result<Admission> MemoryBroker::acquire(AccountId account, std::uint64_t bytes, Clock::time_point deadline,
                                        const std::function<bool()>& abandon) {
  std::unique_lock lock(mutex_);
  auto found = accounts_.find(account);
  if (found == accounts_.end()) return Error(ErrorCode::kUnavailable, "the function's VM is gone");
  const std::string function = found->second.function;
  const auto arrived = clock_->now();
  const std::uint64_t ticket = next_ticket_++;
  waiters_.push_back(ticket);
  bool waited = false;
  auto leave = [&] {
    std::erase(waiters_, ticket);
    publish_locked();
    lock.unlock();
    changed_.notify_all();
  };
  // A scale up that does not get its memory at once waits for it, evicting
  // or queued: counted once, timed until it leaves.
  auto start_waiting = [&] {
    if (waited) return;
    waited = true;
    ++memory_waits_;
    metrics_.add(kMemoryWaits, function);
    publish_locked();
  };
  auto note_wait = [&] {
    if (waited) metrics_.observe_memory_wait(function, to_seconds(clock_->now() - arrived));
  };
  for (;;) {
    // A release or poke while the lock is dropped below (evicting, asking
    // `abandon`) must not be slept through.
    const std::uint64_t seen = generation_;
    if (stopped_) {
      leave();
      return Error(ErrorCode::kUnavailable, "the daemon is shutting down").with_reason("shutting down");
    }
    auto it = accounts_.find(account);
    if (it == accounts_.end()) {
      leave();
      return Error(ErrorCode::kUnavailable, "the function's VM is gone");
    }
    if (waiters_.front() == ticket) {
      if (bytes <= free_locked()) {
        it->second.committed += bytes;
        committed_ += bytes;
        publish_locked();
        leave();
        note_wait();
        return Admission::kGranted;
      }
      start_waiting();
      lock.unlock();
      const std::size_t evicted = make_room(bytes, Clock::duration::zero());
      lock.lock();
      if (evicted > 0) continue;
    }
    if (clock_->now() >= deadline) {
      const std::uint64_t free = free_locked();
      const std::uint64_t budget = budget_, committed = committed_;
      leave();
      note_wait();
      return Error(ErrorCode::kUnavailable,
                   fmt::format("the host's memory budget is exhausted: '{}' needs {} for a new instance, {} of {} "
                               "is committed ({} free) and nothing idle could be evicted within {:.1f} s",
                               function, format_size(bytes), format_size(committed), format_size(budget),
                               format_size(free), to_seconds(clock_->now() - arrived)))
          .with_reason("memory budget exhausted");
    }
    start_waiting();
    if (abandon) {
      lock.unlock();
      const bool give_up = abandon();
      lock.lock();
      if (give_up) {
        leave();
        note_wait();
        return Admission::kAbandoned;
      }
    }
    if (generation_ != seen) continue;
    clock_->wait(lock, changed_, std::min(deadline, clock_->now() + config_.period));
  }
}

void MemoryBroker::release(AccountId account, std::uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) return;
    // Never below the VM's idle commitment: that goes with close().
    const std::uint64_t releasable = it->second.committed - std::min(it->second.committed, it->second.idle_bytes);
    const std::uint64_t amount = std::min(bytes, releasable);
    it->second.committed -= amount;
    committed_ -= amount;
    changed_locked();
    publish_locked();
  }
  changed_.notify_all();
}

void MemoryBroker::note_reclaim_shortfall(AccountId) {
  std::lock_guard lock(mutex_);
  ++reclaim_shortfalls_;
}

void MemoryBroker::poke() {
  {
    std::lock_guard lock(mutex_);
    changed_locked();
  }
  changed_.notify_all();
}

std::vector<MemoryBroker::Victim> MemoryBroker::pick_victims(std::uint64_t need, Clock::duration min_idle,
                                                            bool partial) {
  std::vector<std::pair<std::string, std::weak_ptr<MemoryTenant>>> tenants;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, a] : accounts_) tenants.emplace_back(a.function, a.tenant);
  }
  const auto now = clock_->now();
  std::vector<Victim> idle;
  for (const auto& [function, weak] : tenants) {
    auto tenant = weak.lock();
    if (!tenant) continue;
    for (IdleInstance& i : tenant->idle_instances()) {
      // An instance whose retire gives nothing back (static) is kept.
      if (i.bytes > 0 && now - i.idle_since >= min_idle) idle.push_back(Victim{weak, function, std::move(i)});
    }
  }
  std::stable_sort(idle.begin(), idle.end(),
                   [](const Victim& a, const Victim& b) { return a.idle.idle_since < b.idle.idle_since; });
  std::vector<Victim> victims;
  std::uint64_t freed = 0;
  for (Victim& v : idle) {
    if (freed >= need) break;
    freed += v.idle.bytes;
    victims.push_back(std::move(v));
  }
  if (freed < need && !partial) victims.clear();
  return victims;
}

std::size_t MemoryBroker::evict(const std::vector<Victim>& victims) {
  // One retire per function, so a function's instances reclaim at once.
  std::map<std::string, std::pair<std::weak_ptr<MemoryTenant>, std::vector<std::string>>> by_function;
  for (const Victim& v : victims) {
    auto& entry = by_function[v.function];
    entry.first = v.tenant;
    entry.second.push_back(v.idle.instance);
  }
  std::size_t evicted = 0;
  for (auto& [function, entry] : by_function) {
    auto tenant = entry.first.lock();
    if (!tenant) continue;
    const std::size_t n = tenant->evict(entry.second);
    if (n == 0) continue;
    evicted += n;
    metrics_.add(kEvictions, function, double(n));
    std::lock_guard lock(mutex_);
    evictions_ += n;
  }
  return evicted;
}

std::size_t MemoryBroker::make_room(std::uint64_t want, Clock::duration min_idle, bool partial) {
  std::uint64_t need;
  {
    std::lock_guard lock(mutex_);
    const std::uint64_t free = free_locked();
    if (want <= free) return 0;
    need = want - free;
  }
  auto victims = pick_victims(need, min_idle, partial);
  if (victims.empty()) return 0;
  return evict(victims);
}

void MemoryBroker::tick() {
  if (!config_.budget_bytes) {
    auto host = probe_();
    if (!host) {
      spdlog::warn("memory budget: {}", host.error().message());
    } else {
      std::vector<std::weak_ptr<MemoryTenant>> tenants;
      {
        std::lock_guard lock(mutex_);
        for (const auto& [id, a] : accounts_) tenants.push_back(a.tenant);
      }
      std::uint64_t resident = 0;
      for (const auto& weak : tenants) {
        if (auto t = weak.lock()) resident += t->resident_bytes();
      }
      const std::uint64_t ours = host->available_bytes + resident;
      const std::uint64_t budget = ours > config_.reserve_bytes ? ours - config_.reserve_bytes : 0;
      {
        std::lock_guard lock(mutex_);
        pressure_ = host->pressure_some_avg10;
        const bool pressed = pressure_ && *pressure_ >= config_.pressure_hold;
        if (budget < budget_ || !pressed) budget_ = budget;
        publish_locked();
      }
      changed_.notify_all();
    }
  }
  std::uint64_t over = 0;
  {
    std::lock_guard lock(mutex_);
    if (committed_ > budget_) over = committed_ - budget_;
  }
  if (over > 0) {
    // The budget shrank under what is committed: idle instances go, as many
    // as it takes, or all there are.
    auto victims = pick_victims(over, Clock::duration::zero(), true);
    if (!victims.empty()) evict(victims);
  }
  if (config_.policy == ReclaimPolicy::kHarvest) make_room(config_.slack_bytes, config_.harvest_min_idle, true);
}

void MemoryBroker::housekeep_loop() {
  std::unique_lock lock(mutex_);
  auto next = clock_->now() + config_.period;
  while (!stopped_) {
    // changed_ also wakes waiters on every release: a period, not a wakeup,
    // is what runs the work.
    clock_->wait(lock, changed_, next);
    if (stopped_) break;
    if (clock_->now() < next) continue;
    next = clock_->now() + config_.period;
    lock.unlock();
    tick();
    lock.lock();
  }
}

std::uint64_t MemoryBroker::budget_bytes() {
  std::lock_guard lock(mutex_);
  return budget_;
}

std::uint64_t MemoryBroker::committed_bytes() {
  std::lock_guard lock(mutex_);
  return committed_;
}

void MemoryBroker::publish_locked() {
  history_.record(clock_->now(), committed_);
  metrics_.set_gauge(kMemoryBudget, "", double(budget_));
  std::map<std::string, std::uint64_t> by_function;
  for (const auto& [id, a] : accounts_) by_function[a.function] += a.committed;
  for (const auto& [function, bytes] : by_function) metrics_.set_gauge(kMemoryCommitted, function, double(bytes));
}

nlohmann::json MemoryBroker::to_json() {
  std::lock_guard lock(mutex_);
  nlohmann::json functions = nlohmann::json::object();
  for (const auto& [id, a] : accounts_) {
    functions[a.function] = functions.value(a.function, std::uint64_t{0}) + a.committed;
  }
  nlohmann::json out{{"budget_bytes", budget_},
                     {"committed_bytes", committed_},
                     {"free_bytes", free_locked()},
                     {"waiting", waiters_.size()},
                     {"evictions", evictions_},
                     {"memory_waits", memory_waits_},
                     {"reclaim_timeouts", reclaim_shortfalls_},
                     {"policy", to_string(config_.policy)},
                     {"auto", !config_.budget_bytes.has_value()},
                     {"functions", functions},
                     {"history", history_.to_json(clock_->now())}};
  if (!config_.budget_bytes) out["reserve_bytes"] = config_.reserve_bytes;
  if (config_.policy == ReclaimPolicy::kHarvest) out["slack_bytes"] = config_.slack_bytes;
  if (pressure_) out["host_pressure_some_avg10"] = *pressure_;
  return out;
}

}  // namespace hotmem::serve

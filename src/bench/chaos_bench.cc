#include "bench/chaos_bench.h"

#include <signal.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "bench/chaos_plan.h"
#include "bench/chaos_record.h"
#include "bench/leftovers.h"
#include "host/runtime_root.h"
#include "serve/daemon.h"
#include "serve/served_function.h"
#include "vmm/qemu/qemu_vm.h"

namespace hotmem::bench {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::vector<std::string> kChaosFunctions{"chaos-a", "chaos-b"};
constexpr auto kProgressPeriod = 15s;
constexpr auto kChaosPoll = 200ms;
constexpr auto kIdleTimeout = 60s;
// The kernel parameter that lets an invocation ask the agent to turn
// hostile (agent/testing/hostile.h); without it the silent-agent fault
// would be an ordinary invocation.
constexpr const char* kHostileOnRequest = "hotmem.hostile=on-request";

std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The member `key` of `object`, or null.
json member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it != object.end() ? *it : json();
}

// An invocation's HTTP exchange as the record keeps it: a success only when
// the action answered what was asked (its echo); a failure with the
// daemon's reason when it sent its error document, else without one.
void read_answer(const httplib::Result& res, const json& echo, InvocationOutcome& out) {
  if (!res) {
    out.detail = "no answer: " + httplib::to_string(res.error());
    return;
  }
  const json body = json::parse(res->body, nullptr, false);
  if (res->status == 200) {
    const bool echoed = member(member(body, "result"), "echo") == echo;
    out.ok = echoed;
    if (!echoed) out.detail = fmt::format("not the answer asked for (echo {}): {}", echo.dump(), res->body.substr(0, 300));
    return;
  }
  if (body.is_object() && !string_at(body, "error").empty() && !string_at(body, "detail").empty()) {
    out.reason = string_at(body, "error");
    out.detail = string_at(body, "detail");
    return;
  }
  out.detail = fmt::format("HTTP {} without an error document: {}", res->status, res->body.substr(0, 200));
}

std::string clock_text(Clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// The function's VM as describe() shows it.
struct VmView {
  pid_t pid = 0;
  bool ready = false;  // the function serves on it
  std::string run_dir;
  std::string state;    // the function's: ready, recovering, crash-looping
  std::string failure;  // why its VM failed, if it did
};

class ChaosRun {
 public:
  ChaosRun(const ChaosConfig& config, const ExperimentContext& context)
      : config_(config), context_(context), daemon_(daemon_config(config, context)) {}
  ~ChaosRun() {
    stop_clients();
    (void)daemon_.stop();
  }
  ChaosRun(const ChaosRun&) = delete;
  ChaosRun& operator=(const ChaosRun&) = delete;

  Result<json> run();

 private:
  // The daemon as `hotmem serve` runs it (the recovery policy its own), its
  // functions' guests booted to turn hostile on request.
  static serve::DaemonConfig daemon_config(const ChaosConfig& config, const ExperimentContext& context);
  Status deploy_functions();
  // Starts the clients; OK once each function has answered one of them.
  Status start_clients();
  void client_loop(int function, int client);
  InvocationOutcome invoke(int function, json params, bool probe);
  VmView observe(int function);
  std::size_t failures_in_window(int function);
  PlannedFault guard(PlannedFault planned, std::string& note);
  void inject(PlannedFault planned);
  Status kill_qemu(const VmView& vm);
  void wait_until(const std::function<bool()>& done, Clock::duration bound);
  void tick();
  void stop_clients();
  json functions_not_idle();

  const ChaosConfig& config_;
  const ExperimentContext& context_;
  const serve::RecoveryConfig recovery_{};  // the daemon's own policy, as daemon_config leaves it
  serve::Daemon daemon_;
  ChaosRecord record_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> clients_;
  std::vector<SeenVm> seen_;  // the injector's thread only
  std::uint64_t probes_ = 0;
  Clock::time_point began_{};
  Clock::time_point next_tick_{};
  int ticks_ = 0;
};

serve::DaemonConfig ChaosRun::daemon_config(const ChaosConfig& config, const ExperimentContext& context) {
  serve::DaemonConfig c;
  c.vm = context.vm;
  c.vm.memory_devices.clear();
  c.vm.extra_cmdline = c.vm.extra_cmdline.empty() ? kHostileOnRequest : c.vm.extra_cmdline + " " + kHostileOnRequest;
  c.max_functions = kChaosFunctions.size();
  c.limits.invoke_timeout = config.invoke_timeout;
  return c;
}

Status ChaosRun::deploy_functions() {
  const json body{{"runtime", "native"},
                  {"memory_mib", config_.instance_mib},
                  {"concurrency", config_.concurrency},
                  {"mode", "hotmem"},
                  {"keep_alive_s", config_.keep_alive.count()}};
  std::vector<std::future<httplib::Result>> puts;
  for (const std::string& name : kChaosFunctions) {
    puts.push_back(std::async(std::launch::async, [this, name, text = body.dump()] {
      httplib::Client client("127.0.0.1", daemon_.port());
      client.set_read_timeout(600s);
      return client.Put("/v1/functions/" + name, text, "application/json");
    }));
  }
  Status status = ok_status();
  for (std::size_t i = 0; i < puts.size(); ++i) {
    httplib::Result res = puts[i].get();
    if (!res) {
      status = Error(fmt::format("deploying {}: no answer ({})", kChaosFunctions[i], httplib::to_string(res.error())));
    } else if (res->status != 201) {
      status = Error(fmt::format("deploying {}: HTTP {}: {}", kChaosFunctions[i], res->status, res->body));
    }
  }
  return status;
}

InvocationOutcome ChaosRun::invoke(int function, json params, bool probe) {
  InvocationOutcome out;
  out.function = function;
  out.probe = probe;
  const json echo = member(params, "echo");
  httplib::Client client("127.0.0.1", daemon_.port());
  client.set_read_timeout(config_.invoke_timeout + 30s);
  out.sent = Clock::now();
  auto res = client.Post(fmt::format("/v1/functions/{}/invoke", kChaosFunctions[static_cast<std::size_t>(function)]),
                         params.dump(), "application/json");
  out.done = Clock::now();
  read_answer(res, echo, out);
  return out;
}

void ChaosRun::client_loop(int function, int client) {
  std::mt19937_64 random(config_.seed * 1000 + static_cast<std::uint64_t>(function * 100 + client));
  std::uniform_int_distribution<int> think_ms(0, 500);
  for (std::uint64_t n = 0; !stopping_; ++n) {
    json params{{"mib", config_.touch_mib},
                {"ms", config_.hold_ms},
                {"echo", fmt::format("{}/{}/{}", kChaosFunctions[static_cast<std::size_t>(function)], client, n)}};
    record_.add(invoke(function, std::move(params), false));
    const auto until = Clock::now() + Millis(think_ms(random));
    while (!stopping_ && Clock::now() < until) std::this_thread::sleep_for(20ms);
  }
}

VmView ChaosRun::observe(int function) {
  VmView view;
  auto f = daemon_.registry().find(kChaosFunctions[static_cast<std::size_t>(function)]);
  if (!f) return view;
  const json d = (*f)->describe();
  const json vm = d.value("vm", json::object());
  view.pid = vm.value("pid", 0);
  view.run_dir = string_at(vm, "run_dir");
  view.state = string_at(d, "state");
  view.failure = string_at(vm, "failure");
  view.ready = view.state == "ready" && vm.value("alive", false);
  if (!view.ready || view.pid <= 0) return view;
  auto identity = process_identity(view.pid);
  if (identity && std::none_of(seen_.begin(), seen_.end(), [&](const SeenVm& s) { return s.qemu == *identity; })) {
    auto cgroup = process_cgroup(view.pid);
    seen_.push_back(SeenVm{*identity, view.run_dir, cgroup ? *cgroup : ""});
  }
  return view;
}

// The function's VM failures the daemon counts towards a crash loop now.
std::size_t ChaosRun::failures_in_window(int function) {
  auto f = daemon_.registry().find(kChaosFunctions[static_cast<std::size_t>(function)]);
  if (!f) return 0;
  const json failures = (*f)->describe()["recovery"].value("failures", json::array());
  const double window_s = to_seconds(recovery_.crash_loop_window);
  return static_cast<std::size_t>(std::count_if(failures.begin(), failures.end(), [window_s](const json& x) {
    return x.value("ago_s", 0.0) < window_s;
  }));
}

// The chaos measures recovery, not the crash loop (serve_test has that):
// a fault that would be a VM's crash_loop_failures-th failure within the
// window goes to the other function, or becomes an OOM.
PlannedFault ChaosRun::guard(PlannedFault planned, std::string& note) {
  if (!fails_vm(planned.kind)) return planned;
  const auto room = [this](int f) { return failures_in_window(f) + 1 < recovery_.crash_loop_failures; };
  if (room(planned.function)) return planned;
  const int other = 1 - planned.function;
  note = fmt::format("drawn: {} at {}, whose VM failed {} times within {:.0f} s (one more would crash-loop it)",
                     to_string(planned.kind), kChaosFunctions[static_cast<std::size_t>(planned.function)],
                     failures_in_window(planned.function), to_seconds(recovery_.crash_loop_window));
  if (room(other)) {
    planned.function = other;
  } else {
    planned.kind = FaultKind::kOom;
  }
  return planned;
}

// SIGKILL, only to the QEMU of that VM: the program is QEMU and its command
// line names the VM's run directory.
Status ChaosRun::kill_qemu(const VmView& vm) {
  auto qemu = vmm::qemu::qemu_binary();
  if (!qemu) return qemu.error();
  auto exe = process_executable(vm.pid);
  const auto naming = processes_matching(vm.run_dir + "/");
  if (!exe || !is_program(*exe, *qemu) || std::find(naming.begin(), naming.end(), vm.pid) == naming.end()) {
    return Error(fmt::format("pid {} is not the QEMU of {}: not killed", vm.pid, vm.run_dir));
  }
  if (::kill(vm.pid, SIGKILL) != 0) return Error(fmt::format("kill {}: {}", vm.pid, std::strerror(errno)));
  return ok_status();
}

void ChaosRun::wait_until(const std::function<bool()>& done, Clock::duration bound) {
  const Deadline deadline(bound);
  while (!done() && !deadline.expired()) {
    tick();
    std::this_thread::sleep_for(kChaosPoll);
  }
}

void ChaosRun::inject(PlannedFault planned) {
  FaultOutcome fault;
  const PlannedFault f = guard(planned, fault.note);
  fault.kind = f.kind;
  fault.function = f.function;
  const std::string& name = kChaosFunctions[static_cast<std::size_t>(f.function)];
  const VmView before = observe(f.function);
  fault.qemu_before = before.pid;
  context_.progress->note(fmt::format("{}: {} at {} (QEMU {})", clock_text(Clock::now() - began_), to_string(f.kind),
                                      name, before.pid));
  // Successes that count as serving again: sent after the old VM can no
  // longer answer (for a silent agent, once the daemon failed it).
  Clock::time_point since;
  fault.at = Clock::now();
  switch (f.kind) {
    case FaultKind::kKillQemu:
      if (Status s = kill_qemu(before); !s) fault.note += (fault.note.empty() ? "" : "; ") + s.error().message();
      since = fault.at;
      break;
    case FaultKind::kSilentAgent:
    case FaultKind::kOom: {
      json params{{"echo", fmt::format("probe/{}", ++probes_)}};
      if (f.kind == FaultKind::kSilentAgent) {
        params["hotmem_hostile"] = "silent";
      } else {
        params["mib"] = config_.instance_mib * 2;  // past its partition: the instance is OOM-killed
      }
      auto probe = std::async(std::launch::async, [this, f, params] { return invoke(f.function, params, true); });
      wait_until([&probe] { return probe.wait_for(0s) == std::future_status::ready; },
                 config_.invoke_timeout + 60s);
      InvocationOutcome outcome = probe.get();  // bounded by the client's read timeout
      fault.probe = outcome.ok ? "answered" : fmt::format("{}: {}", outcome.reason, outcome.detail);
      since = outcome.done;
      record_.add(std::move(outcome));
      break;
    }
  }
  wait_until([&] { return record_.served_again(f.function, since).has_value(); },
             config_.recovery_bound - (since - fault.at));
  if (auto again = record_.served_again(f.function, since)) fault.served_again_after = *again - fault.at;
  const VmView after = observe(f.function);
  fault.qemu_after = after.ready ? after.pid : 0;
  if (!fault.served_again_after) {
    fault.note += fmt::format("{}did not serve again within {:.0f} s (state {}{})", fault.note.empty() ? "" : "; ",
                              to_seconds(config_.recovery_bound), after.state,
                              after.failure.empty() ? "" : ": " + after.failure);
  }
  context_.progress->note(fmt::format("{}: {} at {}: {}", clock_text(Clock::now() - began_), to_string(f.kind), name,
                                      fault.served_again_after
                                          ? fmt::format("served again after {:.1f} s (QEMU {})",
                                                        to_seconds(*fault.served_again_after), fault.qemu_after)
                                          : fault.note));
  record_.add(std::move(fault));
}

void ChaosRun::tick() {
  for (std::size_t f = 0; f < kChaosFunctions.size(); ++f) (void)observe(static_cast<int>(f));
  const auto now = Clock::now();
  if (now < next_tick_ || ticks_ >= config_.steps()) return;
  next_tick_ += kProgressPeriod;
  ++ticks_;
  const json row = summarize(record_.invocations(), record_.faults(), kChaosFunctions, began_);
  context_.progress->step(fmt::format("{} of {}: {} answered, {} failed, {} faults, {} VMs recovered",
                                      clock_text(now - began_), clock_text(config_.chaos_time()),
                                      row["answered"].get<std::size_t>(), row["failed"].get<std::size_t>(),
                                      row["faults"].get<std::size_t>(), row["vms_recovered"].get<std::size_t>()));
}

Status ChaosRun::start_clients() {
  for (int c = 0; c < config_.clients_per_function; ++c) {
    for (std::size_t f = 0; f < kChaosFunctions.size(); ++f) {
      clients_.emplace_back([this, f, c] { client_loop(static_cast<int>(f), c); });
    }
  }
  const Deadline deadline(config_.invoke_timeout + 30s);
  for (std::size_t f = 0; f < kChaosFunctions.size(); ++f) {
    while (record_.answered(static_cast<int>(f)) == 0 && !deadline.expired()) std::this_thread::sleep_for(kChaosPoll);
    if (record_.answered(static_cast<int>(f)) == 0) {
      return Error(fmt::format("{} answered no invocation before the faults began; failures: {}", kChaosFunctions[f],
                               failures_by_reason(record_.invocations()).dump()));
    }
  }
  return ok_status();
}

void ChaosRun::stop_clients() {
  stopping_ = true;
  for (std::thread& t : clients_) {
    if (t.joinable()) t.join();  // each within its invocation's timeout
  }
  clients_.clear();
}

// Once the clients have stopped, every function must go idle by itself
// (keep-alive): no instance, every partition unplugged. What is not, per
// function.
json ChaosRun::functions_not_idle() {
  json not_idle = json::array();
  for (const std::string& name : kChaosFunctions) {
    auto f = daemon_.registry().find(name);
    if (!f) {
      not_idle.push_back(fmt::format("{}: {}", name, f.error().message()));
      continue;
    }
    if (Status s = wait_idle(**f, kIdleTimeout); !s) not_idle.push_back(fmt::format("{}: {}", name, s.error().message()));
  }
  return not_idle;
}

Result<json> ChaosRun::run() {
  Progress& progress = *context_.progress;
  progress.set_stage("chaos", "hotmem");
  progress.note(fmt::format("booting {} function VMs", kChaosFunctions.size()));
  const auto started = Clock::now();
  if (Status s = daemon_.start("127.0.0.1", 0); !s) return s.error().context("chaos");
  if (Status s = deploy_functions(); !s) return s.error().context("chaos");
  for (std::size_t f = 0; f < kChaosFunctions.size(); ++f) (void)observe(static_cast<int>(f));
  if (Status s = start_clients(); !s) return s.error().context("chaos");

  began_ = Clock::now();
  next_tick_ = began_ + kProgressPeriod;
  FaultPlan plan(config_.seed, static_cast<int>(kChaosFunctions.size()), config_.min_pause(), config_.max_pause());
  const Clock::time_point end = began_ + config_.chaos_time();
  for (;;) {
    const PlannedFault next = plan.next();
    const Clock::time_point at = std::min(Clock::now() + next.pause, end);
    wait_until([at] { return Clock::now() >= at; }, next.pause);
    if (Clock::now() >= end) break;
    inject(next);
  }
  const double chaos_s = to_seconds(Clock::now() - began_);
  while (ticks_ < config_.steps()) {  // the steps planned, all done
    next_tick_ = Clock::now();
    tick();
  }
  progress.note("stopping the clients");
  stop_clients();
  const json not_idle = functions_not_idle();
  const std::vector<InvocationOutcome> invocations = record_.invocations();
  const std::vector<FaultOutcome> faults = record_.faults();
  json row = summarize(invocations, faults, kChaosFunctions, began_);
  const auto total = [this](const char* counter) {
    double sum = 0;
    for (const std::string& name : kChaosFunctions) sum += daemon_.metrics().counter(counter, name);
    return sum;
  };
  row["vm_failures"] = total(serve::kVmFailures);
  row["vm_recoveries"] = total(serve::kVmRecoveries);
  row["migrated_pages"] = total(serve::kMigratedPages);
  row["dirty_partitions"] = total(serve::kDirtyPartitionsFound);
  row["not_idle"] = not_idle;

  progress.note("shutting down");
  (void)daemon_.stop();
  auto qemu = vmm::qemu::qemu_binary();
  auto run_root = host::run_dirs_root();
  if (!qemu) return qemu.error().context("chaos: leak check");
  if (!run_root) return run_root.error().context("chaos: leak check");
  const Leftovers left = find_leftovers(seen_, *run_root, *qemu);
  row["qemu_left"] = left.qemu_processes.size();
  row["cgroups_left"] = left.cgroups.size();
  row["run_dirs_left"] = left.run_dirs.size();
  row["leftovers"] = left.to_json();
  row["vms_seen"] = seen_.size();
  row["chaos_s"] = chaos_s;
  row["elapsed_s"] = to_seconds(Clock::now() - started);

  row["mode"] = "hotmem";
  row["minutes"] = config_.minutes;
  row["seed"] = config_.seed;
  json cfg{{"minutes", config_.minutes},
           {"seed", config_.seed},
           {"quick", config_.quick},
           {"functions", kChaosFunctions},
           {"mode", "hotmem"},
           {"instance_mib", config_.instance_mib},
           {"concurrency", config_.concurrency},
           {"clients_per_function", config_.clients_per_function},
           {"touch_mib", config_.touch_mib},
           {"hold_ms", config_.hold_ms},
           {"keep_alive_s", config_.keep_alive.count()},
           {"invoke_timeout_s", to_seconds(config_.invoke_timeout)},
           {"pause_s", {to_seconds(config_.min_pause()), to_seconds(config_.max_pause())}},
           {"recovery_bound_s", to_seconds(config_.recovery_bound)},
           {"crash_loop_failures", recovery_.crash_loop_failures}};
  return result_document("chaos", context_, std::move(cfg), json::array({std::move(row)}));
}

}  // namespace

Clock::duration ChaosConfig::chaos_time() const {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(minutes * 60));
}
Clock::duration ChaosConfig::min_pause() const { return quick ? 2s : 10s; }
Clock::duration ChaosConfig::max_pause() const { return quick ? 5s : 30s; }
int ChaosConfig::steps() const {
  return std::max(1, static_cast<int>(std::ceil(to_seconds(chaos_time()) / to_seconds(kProgressPeriod))));
}

Status validate(const ChaosConfig& config) {
  if (!(config.minutes > 0) || config.minutes > 24 * 60) return Error("--minutes must be above 0 and at most 1440");
  if (config.touch_mib + 32 > config.instance_mib) return Error("the functions' memory must leave 32 MiB of each instance");
  if (config.concurrency < 1 || config.clients_per_function < 1) return Error("at least one instance and one client");
  return ok_status();
}

Result<json> run_chaos_bench(const ChaosConfig& config, const ExperimentContext& context) {
  if (Status s = validate(config); !s) return s.error();
  if (!context.preplanned) context.progress->plan(config.steps());
  ChaosRun run(config, context);
  return run.run();
}

namespace {

std::size_t count_at(const json& row, const char* key) {
  const auto it = row.find(key);
  return it != row.end() && it->is_number() ? it->get<std::size_t>() : 0;
}

std::string seconds_text(const json& value) {
  return value.is_number() ? fmt::format("{:.1f} s", value.get<double>()) : "-";
}

}  // namespace

std::string format_chaos_table(const json& document) {
  std::string out;
  for (const json& r : document["results"]) {
    out += fmt::format("chaos: {:.1f} min of faults (seed {}), {:.0f} s in all\n", r["chaos_s"].get<double>() / 60,
                       r["seed"].get<std::uint64_t>(), r["elapsed_s"].get<double>());
    out += fmt::format("  invocations  {} answered, {} failed ({} without a reason); {} were the faults' own\n",
                       count_at(r, "answered"), count_at(r, "failed"), count_at(r, "failed_without_reason"),
                       count_at(r, "fault_invocations"));
    for (const json& group : r["failures"]) {
      const std::string reason = group["reason"].get<std::string>();
      out += fmt::format("    {:>5}  {}\n", group["count"].get<std::size_t>(), reason.empty() ? "(no reason)" : reason);
      for (const json& detail : group["details"]) {
        out += fmt::format("    {:>5}    {}\n", detail["count"].get<std::size_t>(), detail["detail"].get<std::string>());
      }
    }
    out += fmt::format("  faults       {}: {} kill-qemu, {} silent-agent, {} oom\n", count_at(r, "faults"),
                       count_at(r, "faults_kill_qemu"), count_at(r, "faults_silent_agent"), count_at(r, "faults_oom"));
    out += fmt::format("  recovered    {} of {} failed VMs served again; median {}, worst {}\n",
                       count_at(r, "vms_recovered"), count_at(r, "vm_faults"), seconds_text(r["recovery_s_median"]),
                       seconds_text(r["recovery_s_worst"]));
    for (const json& f : r["fault_log"]) {
      out += fmt::format("    {:>7.1f} s  {:<12} {:<8} {}{}{}\n", f["at_s"].get<double>(), f["kind"].get<std::string>(),
                         f["function"].get<std::string>(),
                         f["served_again_s"].is_number() ? "served again after " + seconds_text(f["served_again_s"])
                                                         : std::string("did not serve again"),
                         f["probe"].get<std::string>().empty() ? "" : " | probe: " + f["probe"].get<std::string>(),
                         f["note"].get<std::string>().empty() ? "" : " | " + f["note"].get<std::string>());
    }
    out += fmt::format("  daemon       {:.0f} VM failures, {:.0f} recoveries, {:.0f} pages migrated, {:.0f} dirty "
                       "partitions\n",
                       r["vm_failures"].get<double>(), r["vm_recoveries"].get<double>(),
                       r["migrated_pages"].get<double>(), r["dirty_partitions"].get<double>());
    out += fmt::format("  left         {} QEMU processes, {} cgroups, {} run directories (of {} VMs seen)\n",
                       count_at(r, "qemu_left"), count_at(r, "cgroups_left"), count_at(r, "run_dirs_left"),
                       count_at(r, "vms_seen"));
    for (const char* kind : {"qemu_processes", "cgroups", "run_dirs"}) {
      for (const json& line : r["leftovers"][kind]) out += "    " + line.get<std::string>() + "\n";
    }
    for (const json& line : r["not_idle"]) out += "  not idle     " + line.get<std::string>() + "\n";
  }
  return out;
}

Status chaos_verdict(const json& document) {
  std::vector<std::string> problems;
  const auto problem = [&problems](const char* what, std::size_t n) {
    if (n > 0) problems.push_back(fmt::format("{}: {}", what, n));
  };
  for (const json& r : document.value("results", json::array())) {
    problem("failed invocations without a reason", count_at(r, "failed_without_reason"));
    problem("failed VMs that did not serve again", count_at(r, "not_recovered"));
    problem("functions that did not go idle", r.value("not_idle", json::array()).size());
    problem("QEMU processes left", count_at(r, "qemu_left"));
    problem("cgroups left", count_at(r, "cgroups_left"));
    problem("run directories left", count_at(r, "run_dirs_left"));
  }
  if (problems.empty()) return ok_status();
  return Error(fmt::format("chaos: {}", fmt::join(problems, "; ")));
}

}  // namespace hotmem::bench

// End to end: faults the host side must survive on a real guest.
//
// An unplug the guest never carries out (its vCPUs are stopped, as a wedged
// or hostile guest would leave it) is bounded by the reclaim's timeout,
// reported with what it was waiting for, and its partition is marked broken
// so no instance gets it; once the guest has emptied the device after all,
// the partition is clean and used again.
//
// Hostile guests (the agent booted with hotmem.hostile=..., see
// agent/testing/hostile.h) fail their own VM alone: the daemon's functions
// in other VMs are served throughout, and its books stay straight.
//
// QEMU killed during a cold start's plug or an idle instance's reclaim
// fails the VM cleanly, and it is booted again and serves.
//
// A daemon killed outright takes its QEMUs along (they are tied to it), and
// the next daemon removes the run directories it left (private, under the
// checked runtime root).
#include <future>
#include <map>

#include <httplib.h>
#include <signal.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/poll.h"
#include "common/proc_stats.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "host/run_dir.h"
#include "host/testing/deployment_internals.h"
#include "host/testing/scratch_dir.h"
#include "serve/served_function.h"
#include "vm_fixture.h"
#include "vmm/qemu/qemu_vm.h"

namespace hotmem::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

host::InstanceRequest toucher(const std::string& name) {
  host::InstanceRequest r;
  r.program.name = name;
  r.program.argv = host::touch_argv(64, 0, 1);
  r.ready_timeout = 60s;
  return r;
}

Status qmp(host::Deployment& d, const std::string& command) {
  auto* qemu = dynamic_cast<vmm::qemu::QemuVm*>(&host::DeploymentInternals::vm(d).vmm());
  if (!qemu) return Error("not a QEMU VM");
  auto r = qemu->qmp().execute(command, json::object(), 10s);
  if (!r) return r.error();
  return ok_status();
}

TEST(Faults, AnUnplugTheGuestNeverCarriesOutIsBoundedReportedAndItsPartitionWaitsUntilClean) {
  host::DeploymentSpec spec = test_deployment_spec("faults", "hotmem", 2, 128 * kMiB);
  spec.vm.vcpus = 1;
  auto deployed = host::Deployment::create(spec);
  ASSERT_TRUE(deployed) << deployed.error().message();
  host::Deployment& d = **deployed;

  auto started = d.start(toucher("fn-0"));
  ASSERT_TRUE(started) << started.error().message();
  ASSERT_EQ(started->grant.partition, 0);
  auto stopped = d.stop("fn-0", 5s);
  ASSERT_TRUE(stopped) << stopped.error().message();

  // The guest stops running: nothing it was asked to do gets done.
  ASSERT_TRUE(qmp(d, "stop"));
  const auto began = Clock::now();
  const host::RetireReport reclaimed = d.retire({"fn-0"}, {.grace = 5s, .reclaim_timeout = 8s});
  const auto took = Clock::now() - began;
  ASSERT_FALSE(reclaimed.status) << "a stopped guest unplugged its partition";
  EXPECT_LT(took, 30s) << "the reclaim was not bounded by its timeout";
  EXPECT_NE(reclaimed.status.error().message().find("did not unplug in time"), std::string::npos)
      << reclaimed.status.error().message();
  const json broken = d.describe()["memory"]["partitions"][0];
  EXPECT_EQ(broken["state"], "broken") << broken.dump();
  EXPECT_NE(broken.value("problem", "").find("vmem1"), std::string::npos) << broken.dump();

  // It runs again and finishes the unplug late; the partition is clean, so
  // the next instance gets it back.
  ASSERT_TRUE(qmp(d, "cont"));
  auto emptied = poll_until(
      [&d]() -> Result<bool> {
        auto device = host::DeploymentInternals::vm(d).vmm().memory_device("vmem1");
        if (!device) return device.error();
        return device->plugged_bytes == 0;
      },
      60s, [] { return std::string("vmem1 to be empty"); });
  ASSERT_TRUE(emptied) << emptied.error().message();
  auto again = d.start(toucher("fn-1"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->grant.partition, 0) << "the partition did not come back once clean";
  EXPECT_EQ(d.describe()["memory"]["partitions"][0]["state"], "assigned");
  auto report = d.memory_report();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GE(report->node_used_bytes(1), 60 * kMiB) << "the new instance's memory is not on the repaired partition";
}


TEST(Faults, HostileGuestsFailOnlyTheirOwnVmAndTheOtherFunctionsAreServed) {
  serve::Metrics metrics;
  serve::MemoryBroker broker(serve::unlimited_budget(), metrics);
  // A failed VM is recovering; its reboot is held off for the test's length
  // (booting four more VMs at once would prove nothing more here).
  const serve::RecoveryConfig held_off{.backoff_first = 1h, .backoff_max = 1h};
  const std::vector<std::string> hostile{"garbage", "flood", "silent", "die", "lie"};
  std::map<std::string, std::future<Result<std::shared_ptr<serve::ServedFunction>>>> booting;
  for (const std::string& how : [&] {
         auto all = hostile;
         all.push_back("good");
         return all;
       }()) {
    serve::FunctionSpec spec;
    spec.name = how;
    spec.memory_mib = 64;
    spec.concurrency = 1;
    host::FunctionVmConfig vm = test_vm_config("e2e-" + how);
    vm.memory_devices.clear();
    if (how != "good") vm.extra_cmdline = "hotmem.hostile=" + how;
    booting[how] = std::async(std::launch::async, [spec, vm, &metrics, &broker, held_off] {
      return serve::ServedFunction::deploy(spec, vm, metrics, broker, held_off);
    });
  }
  std::map<std::string, std::shared_ptr<serve::ServedFunction>> functions;
  for (auto& [how, f] : booting) {
    auto deployed = f.get();
    ASSERT_TRUE(deployed) << how << ": " << deployed.error().message();
    functions[how] = *deployed;
  }
  std::map<std::string, pid_t> qemu;
  for (auto& [how, f] : functions) qemu[how] = f->describe()["vm"]["pid"].get<pid_t>();

  // Every hostile guest turns at its first invocation, all at once.
  std::map<std::string, std::future<Result<serve::InvocationResult>>> calls;
  for (const std::string& how : hostile) {
    calls[how] = std::async(std::launch::async, [f = functions[how]] { return f->invoke(json{{"mib", 8}}, 15s); });
  }
  // Meanwhile the good one answers.
  for (int i = 0; i < 3; ++i) {
    auto good = functions["good"]->invoke(json{{"mib", 8}, {"echo", i}}, 60s);
    ASSERT_TRUE(good) << good.error().message();
    EXPECT_EQ(good->result["echo"], i);
  }
  for (const std::string& how : hostile) {
    ASSERT_EQ(calls[how].wait_for(90s), std::future_status::ready) << how << ": the invocation hung";
    auto outcome = calls[how].get();
    ASSERT_FALSE(outcome) << how << " answered";
    const Error& e = outcome.error();
    if (how == "lie") {
      // Its answer is refused; the channel itself still works.
      EXPECT_NE(e.message().find("status"), std::string::npos) << e.message();
      continue;
    }
    EXPECT_EQ(e.reason(), "function VM failed") << how << ": " << e.message();
    EXPECT_EQ(functions[how]->state(), serve::VmState::kRecovering) << how;
    EXPECT_TRUE(functions[how]->failure().has_value()) << how;
    EXPECT_TRUE(process_gone(qemu[how], 10s)) << how << ": QEMU " << qemu[how] << " outlived its failed VM";
    EXPECT_EQ(metrics.counter(serve::kVmFailures, how), 1) << how;
  }
  EXPECT_NE(functions["garbage"]->failure().value_or("").find("malformed frame"), std::string::npos)
      << functions["garbage"]->failure().value_or("");
  EXPECT_NE(functions["silent"]->failure().value_or("").find("does not answer"), std::string::npos)
      << functions["silent"]->failure().value_or("");
  // The liar's counters ran backwards: no page count wrapped around.
  EXPECT_EQ(metrics.counter(serve::kMigratedPages, "lie"), 0);
  EXPECT_EQ(metrics.counter(serve::kUnpluggedBytes, "lie"), metrics.counter(serve::kPluggedBytes, "lie"));

  // And the good one still serves, its VM untouched.
  auto still = functions["good"]->invoke(json{{"mib", 8}}, 60s);
  EXPECT_TRUE(still) << still.error().message();
  EXPECT_FALSE(functions["good"]->failure().has_value());
  EXPECT_EQ(metrics.counter(serve::kVmFailures, "good"), 0);
  // The recovering VMs keep their idle commitment, nothing more; the good one
  // holds its idle instance too.
  const json committed = broker.to_json()["functions"];
  const std::uint64_t idle = 512 * kMiB;  // test_vm_config's boot memory
  for (const char* how : {"garbage", "flood", "silent", "die"}) EXPECT_EQ(committed[how], idle) << how;
  EXPECT_EQ(committed["good"], idle + 128 * kMiB) << committed.dump();
  for (auto& [how, f] : functions) f->shutdown();
  EXPECT_EQ(broker.committed_bytes(), 0u);
  for (auto& [how, pid] : qemu) EXPECT_TRUE(process_gone(pid, 10s)) << how;
}

// `hotmem serve` on a unix socket, as a process of its own.
struct Daemon {
  ChildProcess process;
  std::string socket;

  static std::optional<Daemon> start(const std::filesystem::path& dir) {
    SpawnOptions options;
    const std::string socket = (dir / "api.sock").string();
    options.argv = {hotmem_binary(), "serve", "--unix-socket", socket};
    options.output = dir / "serve.log";
    auto process = ChildProcess::spawn(options);
    if (!process) {
      ADD_FAILURE() << process.error().message();
      return std::nullopt;
    }
    Daemon d{std::move(*process), socket};
    for (int i = 0; i < 200 && !d.client().Get("/v1/functions"); ++i) std::this_thread::sleep_for(50ms);
    if (!d.client().Get("/v1/functions")) {
      ADD_FAILURE() << "the daemon did not come up: " << tail_of_file(dir / "serve.log");
      return std::nullopt;
    }
    return d;
  }
  httplib::Client client() const {
    httplib::Client c(socket);
    c.set_address_family(AF_UNIX);
    c.set_read_timeout(300, 0);
    return c;
  }
};

TEST(Faults, AKilledDaemonTakesItsVmsAlongAndTheNextOneCleansUpAfterIt) {
  auto dir = host::scratch_dir("e2e-daemon");
  ASSERT_TRUE(dir) << dir.error().message();
  auto first = Daemon::start(dir->path());
  ASSERT_TRUE(first);
  auto deployed = first->client().Put(
      "/v1/functions/orphan", json{{"runtime", "native"}, {"memory_mib", 64}, {"concurrency", 1}}.dump(),
      "application/json");
  ASSERT_TRUE(deployed);
  ASSERT_EQ(deployed->status, 201) << deployed->body;
  auto state = first->client().Get("/v1/functions/orphan");
  ASSERT_TRUE(state && state->status == 200);
  const json vm = json::parse(state->body)["vm"];
  const pid_t qemu = vm["pid"].get<pid_t>();
  const std::filesystem::path run_dir = vm["run_dir"].get<std::string>();
  // The VM's run directory: private, under the checked runtime root, naming
  // its owner (the daemon, with its start time: a reused pid is not it).
  auto run_root = host::run_dirs_root();
  ASSERT_TRUE(run_root) << run_root.error().message();
  EXPECT_EQ(run_dir.parent_path(), *run_root);
  EXPECT_EQ(std::filesystem::status(run_dir).permissions(), std::filesystem::perms::owner_all) << run_dir;
  auto owner = host::recorded_owner(run_dir);
  ASSERT_TRUE(owner) << owner.error().message();
  auto daemon = process_identity(first->process.pid());
  ASSERT_TRUE(daemon) << daemon.error().message();
  EXPECT_EQ(*owner, *daemon);

  // SIGKILL: the daemon cleans up nothing itself.
  ASSERT_EQ(::kill(first->process.pid(), SIGKILL), 0);
  (void)first->process.wait_for(10s);
  EXPECT_TRUE(process_gone(qemu, 10s)) << "QEMU " << qemu << " outlived its killed daemon";
  EXPECT_TRUE(std::filesystem::exists(run_dir / "console.log")) << "nothing left to clean up: the test proves nothing";

  auto second = Daemon::start(dir->path());
  ASSERT_TRUE(second);
  EXPECT_FALSE(std::filesystem::exists(run_dir)) << run_dir << " outlived the restart";
  auto listed = second->client().Get("/v1/functions");
  ASSERT_TRUE(listed);
  EXPECT_EQ(json::parse(listed->body)["functions"], json::array());
  ASSERT_EQ(::kill(second->process.pid(), SIGTERM), 0);
  auto ended = second->process.wait_for(30s);
  EXPECT_TRUE(ended) << "the daemon did not stop on SIGTERM";
}

// Polls the function's state until one of its instances is in `state`;
// returns QEMU's pid then (0 on timeout).
pid_t when_an_instance_is(serve::ServedFunction& f, const std::string& state) {
  for (int i = 0; i < 3000; ++i) {
    const json now = f.describe();
    for (const json& instance : now["instances"]) {
      if (instance["state"] == state) return now["vm"]["pid"].get<pid_t>();
    }
    std::this_thread::sleep_for(5ms);
  }
  return 0;
}

// QEMU killed while a partition is being plugged for a cold start, and
// while an idle instance's partition is being reclaimed: the VM is failed,
// nothing hangs, QEMU is gone, its instances are dropped and their memory
// is back in the budget; the VM is booted again and serves.
TEST(Faults, QemuKilledDuringAPlugOrAReclaimFailsTheVmCleanlyAndItRecovers) {
  serve::Metrics metrics;
  serve::MemoryBroker broker(serve::unlimited_budget(), metrics);
  serve::FunctionSpec spec;
  spec.name = "mid-op";
  spec.memory_mib = 256;
  spec.concurrency = 1;
  spec.keep_alive = std::chrono::seconds(1);
  host::FunctionVmConfig vm = test_vm_config("e2e-mid-op");
  vm.memory_devices.clear();
  auto deployed = serve::ServedFunction::deploy(spec, vm, metrics, broker);
  ASSERT_TRUE(deployed) << deployed.error().message();
  auto f = *deployed;
  const std::uint64_t committed_idle = broker.committed_bytes();

  int recoveries = 0;
  for (const std::string during : {"starting", "stopping"}) {
    SCOPED_TRACE(during);
    auto call = std::async(std::launch::async, [f] { return f->invoke(json{{"mib", 64}}, 60s); });
    if (during == "stopping") {
      // The invocation ends; a second later its instance is retired.
      ASSERT_EQ(call.wait_for(60s), std::future_status::ready);
      ASSERT_TRUE(call.get());
    }
    const pid_t qemu = when_an_instance_is(*f, during);
    ASSERT_GT(qemu, 0) << "no instance was ever " << during;
    ASSERT_EQ(::kill(qemu, SIGKILL), 0);
    if (during == "starting") {
      ASSERT_EQ(call.wait_for(60s), std::future_status::ready) << "the cold start hung";
      auto outcome = call.get();
      ASSERT_FALSE(outcome);
      EXPECT_EQ(outcome.error().reason(), "function VM failed") << outcome.error().message();
    }
    auto failed = poll_until([&f]() -> Result<bool> { return f->state() != serve::VmState::kReady; }, 30s,
                             [] { return std::string("the VM to be marked failed"); });
    ASSERT_TRUE(failed) << failed.error().message();
    EXPECT_NE(f->failure().value_or("").find("signal 9"), std::string::npos) << f->failure().value_or("");
    EXPECT_TRUE(process_gone(qemu, 10s));
    auto instances_gone = poll_until([&f]() -> Result<bool> { return f->describe()["instances"].empty(); }, 30s,
                                     [] { return std::string("its instances to be dropped"); });
    EXPECT_TRUE(instances_gone) << instances_gone.error().message() << f->describe().dump(2);
    auto recovered = poll_until([&f]() -> Result<bool> { return f->state() == serve::VmState::kReady; }, 120s,
                                [] { return std::string("the VM to serve again"); });
    ASSERT_TRUE(recovered) << recovered.error().message() << f->describe().dump(2);
    ++recoveries;
    EXPECT_NE(f->describe()["vm"]["pid"].get<pid_t>(), qemu);
    EXPECT_EQ(broker.committed_bytes(), committed_idle) << "the failed VM's instance memory is still committed";
  }
  EXPECT_EQ(metrics.counter(serve::kVmFailures, "mid-op"), 2);
  EXPECT_EQ(metrics.counter(serve::kVmRecoveries, "mid-op"), recoveries);
  // And the VM booted again serves.
  auto answered = f->invoke(json{{"mib", 16}}, 60s);
  EXPECT_TRUE(answered) << answered.error().message();
  f->shutdown();
  EXPECT_EQ(broker.committed_bytes(), 0u);
}
}  // namespace
}  // namespace hotmem::e2e

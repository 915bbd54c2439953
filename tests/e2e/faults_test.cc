// End to end: faults the host side must survive on a real guest.
//
// An unplug the guest never carries out (its vCPUs are stopped, as a wedged
// or hostile guest would leave it) is bounded by the reclaim's timeout,
// reported with what it was waiting for, and its partition is marked broken
// so no instance gets it; once the guest has emptied the device after all,
// the partition is clean and used again.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/poll.h"
#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "vm_fixture.h"
#include "vmm/qemu/qemu_vm.h"

namespace hotmem::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

host::InstanceRequest toucher(const std::string& name) {
  host::InstanceRequest r;
  r.name = name;
  r.argv = host::touch_argv(64, 0, 1);
  r.ready_timeout = 60s;
  return r;
}

Status qmp(host::Deployment& d, const std::string& command) {
  auto* qemu = dynamic_cast<vmm::qemu::QemuVm*>(&d.vm().vmm());
  if (!qemu) return Error("not a QEMU VM");
  auto r = qemu->qmp().execute(command, json::object(), 10s);
  if (!r) return r.error();
  return ok_status();
}

TEST(Faults, AnUnplugTheGuestNeverCarriesOutIsBoundedReportedAndItsPartitionWaitsUntilClean) {
  host::DeploymentSpec spec;
  spec.mode = "hotmem";
  spec.shape.max_instances = 2;
  spec.shape.instance_bytes = 128 * kMiB;
  spec.vm = test_vm_config("e2e-faults");
  spec.vm.memory_devices.clear();
  spec.vm.vcpus = 1;
  auto deployed = host::Deployment::create(spec);
  ASSERT_TRUE(deployed) << deployed.error().message();
  host::Deployment& d = **deployed;

  auto started = d.pool().start(toucher("fn-0"));
  ASSERT_TRUE(started) << started.error().message();
  ASSERT_EQ(started->grant.partition, 0);
  auto stopped = d.pool().stop("fn-0", 5s);
  ASSERT_TRUE(stopped) << stopped.error().message();

  // The guest stops running: nothing it was asked to do gets done.
  ASSERT_TRUE(qmp(d, "stop"));
  const auto began = Clock::now();
  auto reclaimed = d.pool().reclaim({*stopped}, 8s);
  const auto took = Clock::now() - began;
  ASSERT_FALSE(reclaimed) << "a stopped guest unplugged its partition";
  EXPECT_LT(took, 30s) << "the reclaim was not bounded by its timeout";
  EXPECT_NE(reclaimed.error().message().find("did not unplug in time"), std::string::npos)
      << reclaimed.error().message();
  const json broken = d.mode().describe()["partitions"][0];
  EXPECT_EQ(broken["state"], "broken") << broken.dump();
  EXPECT_NE(broken.value("problem", "").find("vmem1"), std::string::npos) << broken.dump();

  // It runs again and finishes the unplug late; the partition is clean, so
  // the next instance gets it back.
  ASSERT_TRUE(qmp(d, "cont"));
  auto emptied = poll_until(
      [&d]() -> Result<bool> {
        auto device = d.vm().vmm().memory_device("vmem1");
        if (!device) return device.error();
        return device->plugged_bytes == 0;
      },
      60s, [] { return std::string("vmem1 to be empty"); });
  ASSERT_TRUE(emptied) << emptied.error().message();
  auto again = d.pool().start(toucher("fn-1"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->grant.partition, 0) << "the partition did not come back once clean";
  EXPECT_EQ(d.mode().describe()["partitions"][0]["state"], "assigned");
  auto report = d.vm().agent().memory_report();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GE(report->node_used_bytes(1), 60 * kMiB) << "the new instance's memory is not on the repaired partition";
}

}  // namespace
}  // namespace hotmem::e2e

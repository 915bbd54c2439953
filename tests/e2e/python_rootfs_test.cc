// End to end: Python functions run from the VM's read-only Debian rootfs.
// A VM boots with the rootfs image (scripts/build-rootfs) as a virtio-blk
// disk; the agent mounts it at /rootfs and preloads the files the functions
// share into node 0. Two instances chrooted there, each bound to its own
// partition, run the OpenWhisk runner with the matmul action given at start
// and report ready; their memory lies on their partition nodes. A client
// instance in the rootfs imports numpy, PIL, pyaes and chameleon, runs every
// shipped function and calls both runners' /run over 127.0.0.1. When one
// runner stops while its neighbour still maps the same interpreter and
// libraries, nothing stays on its node.
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/proc_stats.h"
#include "host/deployment.h"
#include "host/guest_workloads.h"
#include "image/rootfs_image.h"
#include "protocol/channel.h"
#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

using nlohmann::json;

constexpr std::uint64_t kPartition = 512 * kMiB;

// Runs inside the guest's rootfs: every function once with {}, then one
// activation through the runner; "ready" and the results on the status pipe
// (fd 3) only if all of it worked, so a failure ends it before ready.
constexpr const char* kClientScript = R"(import importlib.util, json, os, signal, sys, urllib.request
import numpy, PIL, pyaes, chameleon
out = {"numpy": numpy.__version__, "PIL": PIL.__version__}
for name in ("pyaes", "chameleon", "matmul", "json_serdes", "image_rotate"):
    spec = importlib.util.spec_from_file_location("fn_" + name, "/opt/hotmem/functions/%s.py" % name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out[name] = module.main({})
body = json.dumps({"value": {"N": 64, "M": 32}}).encode()
for port in os.environ["PORTS"].split(","):
    request = urllib.request.Request("http://127.0.0.1:%s/run" % port, data=body,
                                     headers={"Content-Type": "application/json"})
    out["runner" + port] = json.load(urllib.request.urlopen(request, timeout=120))
out["root_is_readonly"] = os.statvfs("/").f_flag & os.ST_RDONLY != 0
out["tmp_is_writable"] = os.access("/tmp", os.W_OK)
os.write(3, b"ready\n" + json.dumps(out).encode() + b"\n")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pause()
)";

std::string console_tail(host::FunctionVm& vm) { return tail_of_file(vm.console_log(), 3000); }

// The newest report line of instance `name`, waiting up to `timeout`.
Result<json> wait_for_report(host::AgentClient& agent, const std::string& name, Clock::duration timeout) {
  Deadline deadline(timeout);
  for (;;) {
    auto list = agent.list_instances();
    if (!list) return list.error();
    for (const auto& status : *list) {
      if (status.name == name && status.reports > 0) {
        auto parsed = json::parse(status.report, nullptr, false);
        if (parsed.is_discarded()) return Error("the report is not JSON: " + status.report);
        return parsed;
      }
    }
    if (deadline.expired()) return Error(fmt::format("instance {} wrote no report", name));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST(PythonRootfs, MissingImageSaysToRunSetup) {
  auto config = test_vm_config("e2e-py-missing");
  config.rootfs_image = "/nonexistent/python-bookworm.squashfs";
  auto vm = host::FunctionVm::boot(config);
  ASSERT_FALSE(vm) << "booted without its rootfs image";
  EXPECT_NE(vm.error().message().find("./scripts/setup"), std::string::npos) << vm.error().message();
}

// A runner instance of the matmul action in partition `node`.
protocol::InstanceStart runner_on(int node, const std::string& port) {
  protocol::InstanceStart runner;
  runner.program.name = "py-matmul-" + std::to_string(node);
  runner.program.argv = {"/usr/bin/python3", "/opt/hotmem/ow_runner.py"};
  runner.program.env = {{"PORT", port}, {"HOTMEM_ACTION", "/opt/hotmem/functions/matmul.py"}};
  runner.program.root = protocol::kRootfsMountPoint;
  runner.node = node;
  runner.memory_max = 256 * kMiB;
  runner.wait_ready = true;
  runner.ready_timeout = std::chrono::seconds(180);
  return runner;
}

TEST(PythonRootfs, FunctionsRunFromTheReadOnlyRootfsInTheirPartitions) {
  const std::filesystem::path image = image::default_rootfs_image();
  ASSERT_TRUE(std::filesystem::is_regular_file(image))
      << "no Python rootfs image at " << image.string() << ": run ./scripts/setup (or ./scripts/build-rootfs)";
  auto preload = image::rootfs_preload_paths(image);
  ASSERT_TRUE(preload) << preload.error().message();
  auto config = test_vm_config("e2e-python", kPartition);  // vmem1 on node 1
  host::add_partition_device(config, kPartition);           // vmem2 on node 2
  config.rootfs_image = image;
  auto vm = boot_or_fail(config);
  ASSERT_TRUE(vm);
  auto& agent = vm->agent();
  for (const auto& d : config.memory_devices) {
    auto plugged = vm->resize(d.id, kPartition);
    ASSERT_TRUE(plugged) << plugged.error().message();
  }

  // A root that does not exist is refused with the reason.
  protocol::InstanceStart bad;
  bad.program.name = "bad-root";
  bad.program.argv = {"/usr/bin/python3", "-c", "pass"};
  bad.program.root = "/rootfs/../etc";
  auto refused = agent.start_instance(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("'..'"), std::string::npos) << refused.error().message();

  // What every instance maps (python3.11, numpy's libraries, ...) goes to
  // node 0 first, read by the agent.
  auto preloaded = agent.preload(*preload);
  ASSERT_TRUE(preloaded) << preloaded.error().message();
  EXPECT_GE(*preloaded, 20 * kMiB);
  auto before = host::wait_for_guest_memory(
      agent, [&](const auto& r) { return r.node_total_bytes(1) >= kPartition && r.node_total_bytes(2) >= kPartition; },
      std::chrono::seconds(30), "partitions plugged");
  ASSERT_TRUE(before) << before.error().message();

  // Two runners, one per partition, ready with their action loaded.
  const auto started_at = Clock::now();
  const protocol::InstanceStart runners[] = {runner_on(1, "8080"), runner_on(2, "8081")};
  for (const auto& runner : runners) {
    auto pid = agent.start_instance(runner);
    ASSERT_TRUE(pid) << pid.error().message() << "\nconsole:\n" << console_tail(*vm);
  }
  const double ready_ms = to_ms(Clock::now() - started_at);
  auto running = agent.memory_report();
  ASSERT_TRUE(running) << running.error().message();
  for (int node : {1, 2}) {
    const std::uint64_t grown = running->node_used_bytes(node) - before->node_used_bytes(node);
    EXPECT_GE(grown, 8 * kMiB) << "the runner's heap lies on its partition node " << node;
    std::printf("node %d holds %.1f MiB of its runner\n", node, static_cast<double>(grown) / kMiB);
  }
  std::printf("%.1f MiB preloaded into node 0; both runners ready in %.0f ms\n",
              static_cast<double>(*preloaded) / kMiB, ready_ms);

  // A client in the rootfs, unbound: imports, every function, one activation
  // on each runner.
  protocol::InstanceStart client;
  client.program.name = "py-client";
  client.program.argv = {"/usr/bin/python3", "-c", kClientScript};
  client.program.env = {{"PORTS", "8080,8081"}};
  client.program.root = protocol::kRootfsMountPoint;
  client.memory_max = 256 * kMiB;
  client.wait_ready = true;
  client.ready_timeout = std::chrono::seconds(300);
  auto client_pid = agent.start_instance(client);
  ASSERT_TRUE(client_pid) << client_pid.error().message() << "\nconsole:\n" << console_tail(*vm);
  auto report = wait_for_report(agent, client.program.name, std::chrono::seconds(30));
  ASSERT_TRUE(report) << report.error().message();
  const json& r = *report;
  std::printf("client report: %s\n", r.dump().c_str());
  EXPECT_EQ(r["pyaes"]["round_trip_ok"], true);
  EXPECT_EQ(r["chameleon"]["cells"], 100 * 100);
  EXPECT_EQ(r["matmul"]["shape"], json({128, 128}));
  EXPECT_EQ(r["json_serdes"]["records"], 1024);
  EXPECT_EQ(r["json_serdes"]["round_trip_ok"], true);
  EXPECT_EQ(r["image_rotate"]["size"], json({508, 678})) << "img072k.jpeg (678x508) turned by 90 degrees";
  for (const char* runner : {"runner8080", "runner8081"}) {
    EXPECT_EQ(r[runner]["shape"], json({64, 64})) << runner << "'s /run answered matmul's result";
  }
  EXPECT_EQ(r["root_is_readonly"], true);
  EXPECT_EQ(r["tmp_is_writable"], true);
  auto client_end = agent.stop_instance(client.program.name, std::chrono::seconds(5));
  ASSERT_TRUE(client_end) << client_end.error().message();
  EXPECT_EQ(client_end->exit, "exited with status 0");

  // The first runner ends while the second still maps the same interpreter
  // and libraries: its heap, scratch and page cache leave its node all the
  // same. Then the second.
  for (const auto& runner : runners) {
    const int node = *runner.node;
    auto end = agent.stop_instance(runner.program.name, std::chrono::seconds(5));
    ASSERT_TRUE(end) << end.error().message();
    EXPECT_EQ(end->exit, "exited with status 0") << "the runner ends cleanly on SIGTERM";
    EXPECT_TRUE(end->cleanup_error.empty()) << end->cleanup_error;
    ASSERT_TRUE(end->left.has_value());
    ASSERT_EQ(end->left->node, node);
    std::printf("after %s: node %d holds %.2f MiB (%.2f MiB before it started)\n", runner.program.name.c_str(), node,
                static_cast<double>(end->left->used_bytes) / kMiB,
                static_cast<double>(before->node_used_bytes(node)) / kMiB);
    EXPECT_LE(end->left->used_bytes, before->node_used_bytes(node) + 2 * kMiB)
        << "left on node " << node << ": anon " << end->left->anon_bytes << ", file " << end->left->file_bytes
        << ", shmem " << end->left->shmem_bytes;
  }
  for (const auto& d : config.memory_devices) {
    auto unplugged = vm->resize(d.id, 0);
    EXPECT_TRUE(unplugged) << unplugged.error().message();
  }
}

// The way a service starts Python instances: through a deployment, which
// plugs the partition, preloads the rootfs's shared files (under the root)
// and starts the runner chrooted there.
TEST(PythonRootfs, ADeploymentStartsARunnerInTheRootfsAndRetiresItsPartition) {
  const std::filesystem::path image = image::default_rootfs_image();
  ASSERT_TRUE(std::filesystem::is_regular_file(image))
      << "no Python rootfs image at " << image.string() << ": run ./scripts/setup (or ./scripts/build-rootfs)";
  auto preload = image::rootfs_preload_paths(image);
  ASSERT_TRUE(preload) << preload.error().message();
  host::DeploymentSpec spec = test_deployment_spec("py-pool", "hotmem", 2, 256 * kMiB);
  spec.vm.rootfs_image = image;
  auto d = host::Deployment::create(spec);
  ASSERT_TRUE(d) << d.error().message();

  host::InstanceRequest request;
  request.program.name = "py-pool";
  request.program.argv = {"/usr/bin/python3", "/opt/hotmem/ow_runner.py"};
  request.program.env = {{"PORT", "8080"}, {"HOTMEM_ACTION", "/opt/hotmem/functions/json_serdes.py"}};
  request.program.root = protocol::kRootfsMountPoint;
  request.preload = *preload;
  request.ready_timeout = std::chrono::seconds(180);
  auto started = (*d)->start(request);
  ASSERT_TRUE(started) << started.error().message() << "\nconsole:\n"
                       << tail_of_file((*d)->describe()["vm"]["console_log"].get<std::string>(), 3000);
  ASSERT_TRUE(started->grant.node.has_value());
  const int node = *started->grant.node;
  auto report = (*d)->memory_report();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_GE(report->node_used_bytes(node), 8 * kMiB) << "the runner lies on its partition node " << node;
  std::printf("pool start (plug, preload, ready): %.0f ms; node %d holds %.1f MiB\n", to_ms(started->start_latency),
              node, static_cast<double>(report->node_used_bytes(node)) / kMiB);

  const host::RetireReport retired = (*d)->retire({request.program.name}, {.grace = std::chrono::seconds(5)});
  ASSERT_TRUE(retired.status) << retired.status.error().message();
  ASSERT_TRUE(retired.measured) << retired.measured.error().message();
  ASSERT_EQ(retired.instances.size(), 1u);
  const host::InstanceEnd& end = retired.instances[0].end;
  EXPECT_EQ(end.exit, "exited with status 0");
  ASSERT_TRUE(end.left.has_value());
  EXPECT_LE(end.left->used_bytes, 2 * kMiB) << "left on node " << node;
  std::printf("after the runner: node %d holds %.2f MiB (anon %llu, file %llu, shmem %llu bytes)\n", node,
              static_cast<double>(end.left->used_bytes) / kMiB, static_cast<unsigned long long>(end.left->anon_bytes),
              static_cast<unsigned long long>(end.left->file_bytes),
              static_cast<unsigned long long>(end.left->shmem_bytes));
  EXPECT_EQ(retired.migrated_pages, 0u) << "an emptied partition unplugs without migration";
}

}  // namespace
}  // namespace hotmem::e2e

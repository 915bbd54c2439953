// End to end: the `hotmem vm` commands drive a real VM, bad input gets a clear
// error, and a QEMU never outlives its owner, even one killed outright.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/process.h"
#include "host/runtime_root.h"

#include "vm_fixture.h"

namespace hotmem::e2e {
namespace {

std::string unique_name(const char* base) { return fmt::format("{}-{}", base, ::getpid()); }

TEST(VmCli, StartStatusResizeStop) {
  const std::string name = unique_name("e2e-cli");
  auto started = run_hotmem({"vm", "start", name, "--hotplug-max", "1G"}, std::chrono::seconds(180));
  ASSERT_EQ(started.exit_code, 0) << started.output;
  EXPECT_NE(started.output.find("is up"), std::string::npos) << started.output;
  const auto qemus = processes_matching("process=hotmem-" + name);
  ASSERT_EQ(qemus.size(), 1u);
  // Its state (control socket, QEMU's sockets) is under the checked root.
  auto states = host::vm_states_root();
  ASSERT_TRUE(states) << states.error().message();
  EXPECT_TRUE(std::filesystem::is_socket(*states / name / "control.sock")) << *states / name;

  auto resized = run_hotmem({"vm", "resize", name, "256M"});
  EXPECT_EQ(resized.exit_code, 0) << resized.output;
  auto status = run_hotmem({"vm", "status", name});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("plugged 256 MiB of 1 GiB"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("node 1: 256 MiB total"), std::string::npos) << status.output;

  auto too_big = run_hotmem({"vm", "resize", name, "4G"});
  EXPECT_NE(too_big.exit_code, 0);
  EXPECT_NE(too_big.output.find("exceeds the maximum"), std::string::npos) << too_big.output;

  auto stopped = run_hotmem({"vm", "stop", name});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(process_gone(qemus.front(), std::chrono::seconds(10)));
  auto gone = run_hotmem({"vm", "status", name});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.output.find("no VM named"), std::string::npos) << gone.output;
}

TEST(VmLifetime, QemuDiesWhenItsOwnerIsKilled) {
  const std::string name = unique_name("e2e-owner");
  SpawnOptions options;
  options.argv = {hotmem_binary(), "vm", "supervise", name};
  auto owner = ChildProcess::spawn(options);
  ASSERT_TRUE(owner) << owner.error().message();
  std::vector<pid_t> qemus;
  Deadline deadline(std::chrono::seconds(30));
  while (qemus.empty() && !deadline.expired()) {
    std::this_thread::sleep_for(Millis(50));
    qemus = processes_matching("process=hotmem-" + name);
  }
  ASSERT_EQ(qemus.size(), 1u) << "the owner never started QEMU";
  ::kill(owner->pid(), SIGKILL);  // no chance to clean up
  (void)owner->wait_for(std::chrono::seconds(5));
  EXPECT_TRUE(process_gone(qemus.front(), std::chrono::seconds(5))) << "QEMU outlived its SIGKILLed owner";
  // The dead owner's state is cleared by the next command that looks.
  auto list = run_hotmem({"vm", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output.find(name), std::string::npos) << list.output;
  auto states = host::vm_states_root();
  ASSERT_TRUE(states) << states.error().message();
  EXPECT_FALSE(std::filesystem::exists(*states / name));
}

}  // namespace
}  // namespace hotmem::e2e

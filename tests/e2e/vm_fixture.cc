#include "vm_fixture.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/process.h"
#include "common/proc_stats.h"
#include "common/temp_dir.h"

namespace hotmem::e2e {

host::FunctionVmConfig test_vm_config(const std::string& name, std::uint64_t device_max) {
  host::FunctionVmConfig config;
  config.name = name;
  config.base_bytes = 512 * kMiB;
  config.vcpus = 2;
  host::add_partition_device(config, device_max);
  return config;
}

host::DeploymentSpec test_deployment_spec(const std::string& name, const std::string& mode, int instances,
                                          std::uint64_t instance_bytes) {
  host::DeploymentSpec spec;
  spec.mode = mode;
  spec.shape.max_instances = instances;
  spec.shape.instance_bytes = instance_bytes;
  spec.vm = test_vm_config("e2e-" + name);
  return spec;
}

bool process_gone(pid_t pid, Clock::duration timeout) {
  Deadline deadline(timeout);
  while (!deadline.expired()) {
    auto stat = read_text_file(fmt::format("/proc/{}/stat", pid));
    // Gone, or a zombie nobody reaped yet (it holds no memory any more).
    if (!stat || stat->find(") Z ") != std::string::npos) return true;
    std::this_thread::sleep_for(Millis(20));
  }
  return false;
}

std::string hotmem_binary() {
  // tests/hotmem_vm_tests sits beside src/hotmem in the build tree.
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "src" / "hotmem").string();
}

CommandResult run_hotmem(const std::vector<std::string>& args, Clock::duration timeout) {
  auto dir = TempDir::create("/tmp", "hotmem-cmd-");
  if (!dir) return {-1, dir.error().message()};
  SpawnOptions options;
  options.argv = {hotmem_binary()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output = dir->path() / "out";
  auto child = ChildProcess::spawn(options);
  if (!child) return {-1, child.error().message()};
  auto status = child->wait_for(timeout);
  CommandResult result;
  result.output = tail_of_file(options.output, 1 << 20);
  if (!status) {
    result.output += "\n[test: " + status.error().message() + "]";
    return result;
  }
  result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  return result;
}

}  // namespace hotmem::e2e

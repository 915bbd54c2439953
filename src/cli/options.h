// Shared pieces of the command-line interface: option validators that give
// actionable messages, and the VM options several commands take.
#pragma once

#include <CLI/CLI.hpp>

#include "host/function_vm.h"

namespace hotmem::cli {

// Validates a size such as 512M or 2GiB (see parse_size).
CLI::Validator size_validator();
// Validates a VM or instance name.
CLI::Validator name_validator(const std::string& what);

// Options that describe a VM to boot, filled into `config` after parsing
// (call resolve() in the command's callback).
struct VmOptions {
  std::string memory = "512M";
  int vcpus = 2;
  std::string hotplug_max = "2G";
  std::string image;
  std::string accel = "auto";
  int guest_init_on_alloc = -1;
  std::string cmdline_extra;
  int boot_timeout_s = 120;

  void add_to(CLI::App& command);
  // Builds the VM configuration: boot memory on node 0 and one virtio-mem
  // device (vmem1, node 1) of `hotplug_max`.
  Result<host::FunctionVmConfig> resolve(const std::string& name) const;
};

}  // namespace hotmem::cli

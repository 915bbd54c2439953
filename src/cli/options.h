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

// Options that describe the guest of a VM to boot (call resolve() in the
// command's callback, after parsing).
struct GuestOptions {
  std::string memory = "512M";
  int vcpus = 2;
  std::string image;
  std::string accel = "auto";
  std::string cmdline_extra;
  int boot_timeout_s = 120;

  void add_to(CLI::App& command);
  Result<host::FunctionVmConfig> resolve(const std::string& name) const;
};

// A single-device VM: the guest options, its zeroing setting, and one
// virtio-mem device (vmem1, node 1) of `hotplug_max`.
struct VmOptions {
  GuestOptions guest;
  std::string hotplug_max = "2G";
  int guest_init_on_alloc = -1;

  void add_to(CLI::App& command);
  Result<host::FunctionVmConfig> resolve(const std::string& name) const;
};

}  // namespace hotmem::cli

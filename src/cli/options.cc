#include "cli/options.h"

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/install_layout.h"
#include "protocol/messages.h"

namespace hotmem::cli {

// Here, not in main.cc: the unit tests link the commands without main.
int report_error(const std::string& message) {
  fmt::print(stderr, "hotmem: error: {}\n", message);
  return 1;
}

CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        auto size = parse_size(value);
        return size ? "" : size.error().message();
      },
      "SIZE");
}

CLI::Validator name_validator(const std::string& what) {
  return CLI::Validator(
      [what](std::string& value) -> std::string {
        Status s = protocol::validate_name(what, value);
        return s ? "" : s.error().message();
      },
      "NAME");
}

void GuestOptions::add_to(CLI::App& command) {
  command.add_option("--memory", memory, "Boot memory of the guest (node 0), e.g. 512M")
      ->check(size_validator())
      ->capture_default_str();
  command.add_option("--vcpus", vcpus, "Guest vCPUs")->check(CLI::Range(1, 64))->capture_default_str();
  command.add_option("--image", image,
                     fmt::format("Guest image directory (default: $HOTMEM_IMAGE, else {})",
                                 installed_or_built_image_dir().string()));
  command.add_option("--accel", accel, "auto (KVM when the CPU has vmx/svm), kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
      ->capture_default_str();
  command.add_option("--cmdline-extra", cmdline_extra, "More guest kernel command-line words (override by key)");
  command.add_option("--boot-timeout", boot_timeout_s, "Seconds to wait for the guest agent")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

Result<host::FunctionVmConfig> GuestOptions::resolve(const std::string& name) const {
  host::FunctionVmConfig config;
  config.name = name;
  auto base = parse_size(memory);
  if (!base) return base.error();
  config.base_bytes = *base;
  config.vcpus = vcpus;
  if (!image.empty()) config.image_dir = image;
  auto a = vmm::parse_accel(accel);
  if (!a) return a.error();
  config.accel = *a;
  config.extra_cmdline = cmdline_extra;
  config.boot_timeout = std::chrono::seconds(boot_timeout_s);
  return config;
}

void VmOptions::add_to(CLI::App& command) {
  guest.add_to(command);
  command.add_option("--hotplug-max", hotplug_max, "Maximum of the virtio-mem device (multiple of 128M)")
      ->check(size_validator())
      ->capture_default_str();
  command.add_option("--guest-init-on-alloc", guest_init_on_alloc,
                     "Guest init_on_alloc (0: no zeroing on allocation; 1: Debian's default)")
      ->check(CLI::IsMember({0, 1}));
}

Result<host::FunctionVmConfig> VmOptions::resolve(const std::string& name) const {
  auto config = guest.resolve(name);
  if (!config) return config.error();
  auto max = parse_size(hotplug_max);
  if (!max) return max.error();
  if (*max == 0 || *max % vmm::kGuestMemoryBlock != 0) {
    return Error(fmt::format("--hotplug-max {} must be a non-zero multiple of 128M (the guest's memory block)",
                             hotplug_max));
  }
  host::add_partition_device(*config, *max);
  if (guest_init_on_alloc >= 0) config->guest_init_on_alloc = guest_init_on_alloc;
  return config;
}

}  // namespace hotmem::cli

// Kernel module dependencies from modules.dep, resolved into a load order
// (dependencies first), so the guest's init can insmod without modprobe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hotmem::image {

// "kernel/drivers/virtio/virtio_mem.ko" -> "virtio_mem" ('-' becomes '_').
std::string module_name(std::string_view path);

class ModuleDeps {
 public:
  // `modules_dep`: text of modules.dep; `builtin`: text of modules.builtin.
  static Result<ModuleDeps> parse(std::string_view modules_dep, std::string_view builtin);

  // Relative paths of the .ko files to load, in order, for these modules and
  // everything they need. Built-in modules are skipped; unknown ones are an error.
  Result<std::vector<std::string>> load_order(const std::vector<std::string>& wanted) const;

 private:
  std::map<std::string, std::string> path_;                // name -> relative path
  std::map<std::string, std::vector<std::string>> deps_;   // name -> names it needs
  std::set<std::string> builtin_;
};

}  // namespace hotmem::image

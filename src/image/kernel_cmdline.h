// A guest kernel command line as ordered key[=value] words, so settings can
// be overridden one by one ("init_on_alloc=1") without string surgery.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hotmem::image {

class KernelCmdline {
 public:
  KernelCmdline() = default;
  static KernelCmdline parse(std::string_view text);

  // Sets (or replaces) key=value; a nullopt value gives a bare "key".
  void set(std::string_view key, std::optional<std::string> value);
  std::optional<std::string> get(std::string_view key) const;
  bool has(std::string_view key) const;
  // Appends words from free text, each overriding an earlier one of its key.
  void merge(std::string_view text);
  std::string render() const;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> words_;
};

// What every HotMem guest boots with, unless overridden.
KernelCmdline default_cmdline();

}  // namespace hotmem::image

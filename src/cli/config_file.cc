#include "cli/config_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace hotmem::cli {
namespace {

// The items of a JSON object, as CLI11's TOML reader gives them: one per
// top-level key, its value as strings (an array as one string per element).
Result<std::vector<CLI::ConfigItem>> config_items_from_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Error(fmt::format("cannot read config file {}", file.string()));
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error(fmt::format("config file {} is not a JSON object", file.string()));
  }
  std::vector<CLI::ConfigItem> items;
  for (const auto& [key, value] : doc.items()) {
    CLI::ConfigItem item;
    item.name = key;
    auto scalar = [&](const nlohmann::json& v) -> Result<std::string> {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_boolean() || v.is_number()) return v.dump();
      return Error(fmt::format("config file {}: key '{}' must be a string, number, boolean or a list of them",
                               file.string(), key));
    };
    if (value.is_array()) {
      for (const auto& element : value) {
        auto s = scalar(element);
        if (!s) return s.error();
        item.inputs.push_back(*s);
      }
    } else {
      auto s = scalar(value);
      if (!s) return s.error();
      item.inputs.push_back(*s);
    }
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<CLI::ConfigItem>> config_items_from_toml(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Error(fmt::format("cannot read config file {}", file.string()));
  try {
    return CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    return Error(fmt::format("config file {} is not valid TOML: {}", file.string(), e.what()));
  }
}

CLI::Option* option_named(CLI::App& command, const std::string& key) {
  std::string name = key;
  std::replace(name.begin(), name.end(), '_', '-');
  return command.get_option_no_throw("--" + name);
}

}  // namespace

CLI::Option* add_config_option(CLI::App& command, std::string& file) {
  return command
      .add_option("--config", file,
                  "Read options from this file: TOML, or JSON if it ends in .json; keys are the long option "
                  "names (port = 8080). Options on the command line win over the file")
      ->configurable(false)
      ->check(CLI::ExistingFile);
}

Status apply_config_file(CLI::App& command, const std::filesystem::path& file) {
  auto items = file.extension() == ".json" ? config_items_from_json(file) : config_items_from_toml(file);
  if (!items) return items.error();
  const std::string command_name = command.get_parent() ? fmt::format("hotmem {}", command.get_name()) : "hotmem";
  for (const CLI::ConfigItem& item : *items) {
    if (!item.parents.empty()) {
      return Error(fmt::format("config file {}: section [{}]: the options of {} are top-level keys, in no section",
                               file.string(), item.parents.front(), command_name));
    }
    CLI::Option* option = option_named(command, item.name);
    if (option == nullptr || !option->get_configurable()) {
      return Error(fmt::format("config file {}: unknown key '{}': not an option of {} (see {} --help)",
                               file.string(), item.name, command_name, command_name));
    }
    if (option->count() > 0) continue;  // given on the command line, which wins
    try {
      if (option->get_expected_min() == 0) {  // a flag: one true/false value
        if (item.inputs.size() != 1) throw CLI::ConversionError::TooManyInputsFlag(item.name);
        option->add_result(option->get_flag_value(item.name, item.inputs.front()));
      } else {
        option->add_result(item.inputs);
      }
      option->run_callback();  // the option's own conversion and validators
    } catch (const CLI::Error& e) {
      return Error(fmt::format("config file {}: key '{}': {}", file.string(), item.name, e.what()));
    }
  }
  return ok_status();
}

}  // namespace hotmem::cli

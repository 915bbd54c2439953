// `--config FILE`: a command's options read from a TOML or JSON file, with
// the names of its long flags as keys (`port = 8080`, `memory-budget =
// "8G"`; `memory_budget` works too). An option given on the command line
// wins over the file. A key that is no option of the command, a section or
// a nested object, or a value the option refuses, is an error naming the
// file and the key.
//
// CLI11's own set_config reads a file only for the top-level app in the
// version Debian 12 ships (2.1.2), not for a subcommand such as `serve`, so
// this applies the file in the command's callback with CLI11's pieces: its
// TOML reader (ConfigTOML) and each option's own conversion and validators.
// JSON is read with nlohmann-json into the same items.
#pragma once

#include <filesystem>

#include <CLI/CLI.hpp>

#include "common/result.h"

namespace hotmem::cli {

// Adds `--config FILE` to `command`, stored in `file`.
CLI::Option* add_config_option(CLI::App& command, std::string& file);

// Sets every option of `command` that the command line left out and `file`
// names (a .json file is JSON, any other TOML). Call at the start of the
// command's callback, before its options are used.
Status apply_config_file(CLI::App& command, const std::filesystem::path& file);

}  // namespace hotmem::cli

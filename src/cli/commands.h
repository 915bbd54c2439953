// Each group of subcommands registers itself on the application. A command's
// callback stores its exit status in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace hotmem::cli {

void add_image_commands(CLI::App& app, int& exit_code);
void add_vm_commands(CLI::App& app, int& exit_code);
void add_demo_command(CLI::App& app, int& exit_code);
void add_bench_commands(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code);
void add_replay_command(CLI::App& app, int& exit_code);
void add_fn_commands(CLI::App& app, int& exit_code);

// Prints an error the way every command does and returns the exit status.
int report_error(const std::string& message);

}  // namespace hotmem::cli

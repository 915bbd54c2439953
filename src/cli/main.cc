// hotmem: elastic memory for VM-sandboxed serverless functions.
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/interrupt.h"

int main(int argc, char** argv) {
  using namespace hotmem;
  hotmem::install_interrupt_handlers();
  spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
  CLI::App app{"hotmem: fast memory reclaim for serverless function VMs"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug detail");
  app.parse_complete_callback([&verbose] {
    if (verbose) spdlog::set_level(spdlog::level::debug);
  });
  int exit_code = 0;
  cli::add_image_commands(app, exit_code);
  cli::add_vm_commands(app, exit_code);
  cli::add_demo_command(app, exit_code);
  cli::add_bench_commands(app, exit_code);
  cli::add_report_command(app, exit_code);
  cli::add_serve_command(app, exit_code);
  cli::add_replay_command(app, exit_code);
  cli::add_fn_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints what was wrong
    return 2;
  }
  if (hotmem::interrupted()) {
    fmt::print(stderr, "hotmem: interrupted\n");
    return exit_code ? exit_code : 130;
  }
  return exit_code;
}

// hotmem image build
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/install_layout.h"
#include "image/image_builder.h"

namespace hotmem::cli {

void add_image_commands(CLI::App& app, int& exit_code) {
  CLI::App* image = app.add_subcommand("image", "Guest images");
  image->require_subcommand(1);
  CLI::App* build = image->add_subcommand("build", "Build a guest image (kernel + initramfs with the agent)");
  struct Args {
    std::string kernel_dir, agent, busybox = "/bin/busybox", out;
    int init_on_alloc = 0;
    std::string memhp_default_state = "online_movable";
    std::string cmdline_extra;
  };
  auto args = std::make_shared<Args>();
  build->add_option("--kernel-dir", args->kernel_dir, "Unpacked Debian linux-image package")->required();
  args->agent = agent_binary().string();
  build->add_option("--agent", args->agent, "Statically linked hotmem-agent binary (default: the installed one, or "
                                            "the build's)")
      ->capture_default_str();
  build->add_option("--busybox", args->busybox, "Statically linked busybox")->capture_default_str();
  build->add_option("--out", args->out, "Output directory")->required();
  build->add_option("--init-on-alloc", args->init_on_alloc, "Default guest init_on_alloc")
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  build->add_option("--memhp-default-state", args->memhp_default_state, "How the guest onlines hotplugged memory")
      ->check(CLI::IsMember({"online_movable", "online_kernel", "online", "offline"}))
      ->capture_default_str();
  build->add_option("--cmdline-extra", args->cmdline_extra, "More default kernel command-line words");
  build->callback([args, &exit_code] {
    image::ImageBuildOptions options;
    options.kernel_dir = args->kernel_dir;
    options.agent = args->agent;
    options.busybox = args->busybox;
    options.out = args->out;
    options.cmdline.set("init_on_alloc", std::to_string(args->init_on_alloc));
    options.cmdline.set("memhp_default_state", args->memhp_default_state);
    options.cmdline.merge(args->cmdline_extra);
    auto built = image::build_image(options);
    if (!built) {
      exit_code = report_error(built.error().message());
      return;
    }
    fmt::print("guest image in {}: kernel {}, {} modules\n  cmdline: {}\n", built->dir.string(),
               built->kernel_version, built->modules.size(), built->cmdline.render());
  });
}

}  // namespace hotmem::cli

#include "image/guest_image.h"

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/install_layout.h"
#include "common/proc_stats.h"
#include "protocol/messages.h"

namespace hotmem::image {

std::filesystem::path default_image_dir() {
  if (const char* env = std::getenv("HOTMEM_IMAGE"); env && *env) return env;
  return installed_or_built_image_dir();
}

Result<GuestImage> load_image(const std::filesystem::path& dir) {
  const auto manifest_path = dir / kManifestName;
  if (!std::filesystem::exists(manifest_path)) {
    return Error(fmt::format("no guest image at {}: run ./scripts/setup (or `hotmem image build`), or point "
                             "--image / $HOTMEM_IMAGE at an image directory",
                             dir.string()));
  }
  auto text = read_text_file(manifest_path);
  if (!text) return text.error();
  auto j = protocol::parse_object(*text);
  if (!j) return j.error().context(manifest_path.string());
  GuestImage image;
  image.dir = dir;
  auto kernel = protocol::get_string(*j, "kernel");
  auto initrd = protocol::get_string(*j, "initrd");
  auto version = protocol::get_string(*j, "kernel_version");
  auto cmdline = protocol::get_string(*j, "cmdline");
  auto modules = protocol::get_string_list(*j, "modules", 1000, 4096);
  for (const Error* e : {kernel ? nullptr : &kernel.error(), initrd ? nullptr : &initrd.error(),
                         version ? nullptr : &version.error(), cmdline ? nullptr : &cmdline.error(),
                         modules ? nullptr : &modules.error()}) {
    if (e) return e->context(manifest_path.string());
  }
  image.kernel = dir / *kernel;
  image.initrd = dir / *initrd;
  image.kernel_version = *version;
  image.cmdline = KernelCmdline::parse(*cmdline);
  image.modules = *modules;
  for (const auto& f : {image.kernel, image.initrd}) {
    if (!std::filesystem::is_regular_file(f)) {
      return Error(fmt::format("guest image {} is incomplete ({} is missing): rebuild it with ./scripts/setup",
                               dir.string(), f.string()));
    }
  }
  return image;
}

Status write_manifest(const GuestImage& image) {
  nlohmann::json j{{"kernel", image.kernel.filename().string()},
                   {"initrd", image.initrd.filename().string()},
                   {"kernel_version", image.kernel_version},
                   {"cmdline", image.cmdline.render()},
                   {"modules", image.modules}};
  const auto path = image.dir / kManifestName;
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) return Error(fmt::format("cannot write {}", path.string()));
  return ok_status();
}

}  // namespace hotmem::image

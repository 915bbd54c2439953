#include "image/image_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/proc_stats.h"
#include "image/module_deps.h"

namespace hotmem::image {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_binary(const fs::path& path) { return read_text_file(path, 256u << 20); }

// A static executable has no PT_INTERP program header.
Status check_static_elf(const fs::path& path, std::string_view what) {
  auto data = read_binary(path);
  if (!data) return data.error().context(what);
  const std::string& d = *data;
  if (d.size() < sizeof(Elf64_Ehdr) || d.compare(0, 4, ELFMAG) != 0) {
    return Error(fmt::format("{} {} is not an ELF executable", what, path.string()));
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, d.data(), sizeof eh);
  for (int i = 0; i < eh.e_phnum; ++i) {
    const std::size_t off = eh.e_phoff + static_cast<std::size_t>(i) * eh.e_phentsize;
    if (off + sizeof(Elf64_Phdr) > d.size()) break;
    Elf64_Phdr ph;
    std::memcpy(&ph, d.data() + off, sizeof ph);
    if (ph.p_type == PT_INTERP) {
      return Error(fmt::format("{} {} is dynamically linked; the guest needs a static binary", what, path.string()));
    }
  }
  return ok_status();
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Writes a newc cpio archive (the initramfs format) entry by entry.
class CpioWriter {
 public:
  static Result<CpioWriter> open(const fs::path& path) {
    std::unique_ptr<archive, ArchiveCloser> a(archive_write_new());
    if (archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK ||
        archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) {
      return Error(fmt::format("cannot write {}: {}", path.string(), archive_error_string(a.get())));
    }
    return CpioWriter(std::move(a));
  }

  Status dir(const std::string& name) {
    if (!dirs_.insert(name).second) return ok_status();
    return add(name, AE_IFDIR, 0755, {}, 0);
  }
  Status file(const std::string& name, std::string_view data, int mode) { return add(name, AE_IFREG, mode, data, 0); }
  Status char_device(const std::string& name, unsigned major, unsigned minor) {
    return add(name, AE_IFCHR, 0600, {}, makedev(major, minor));
  }
  // Adds every missing parent directory of `name`.
  Status parents(const std::string& name) {
    for (std::size_t pos = name.find('/'); pos != std::string::npos; pos = name.find('/', pos + 1)) {
      if (Status s = dir(name.substr(0, pos)); !s) return s;
    }
    return ok_status();
  }
  Status close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Error(archive_error_string(a_.get()));
    return ok_status();
  }

 private:
  explicit CpioWriter(std::unique_ptr<archive, ArchiveCloser> a) : a_(std::move(a)) {}

  Status add(const std::string& name, unsigned type, int mode, std::string_view data, dev_t rdev) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), static_cast<mode_t>(mode));
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_rdev(e.get(), rdev);
    archive_entry_set_mtime(e.get(), 0, 0);
    archive_entry_set_nlink(e.get(), type == AE_IFDIR ? 2 : 1);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK ||
        (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) < 0)) {
      return Error(fmt::format("initramfs entry {}: {}", name, archive_error_string(a_.get())));
    }
    return ok_status();
  }

  std::unique_ptr<archive, ArchiveCloser> a_;
  std::set<std::string> dirs_;
};

// The newest boot/vmlinuz-<version> in the unpacked kernel package.
Result<std::string> find_kernel_version(const fs::path& kernel_dir) {
  std::vector<std::string> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kernel_dir / "boot", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("vmlinuz-")) versions.push_back(name.substr(8));
  }
  if (versions.empty()) {
    return Error(fmt::format("no boot/vmlinuz-* under {}: unpack a Debian linux-image package there "
                             "(./scripts/setup does it)",
                             kernel_dir.string()));
  }
  std::sort(versions.begin(), versions.end());
  return versions.back();
}

Status copy_into_image(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return Error(fmt::format("cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
  return ok_status();
}

}  // namespace

std::string init_script(const std::string& kernel_version, const std::vector<std::string>& module_paths) {
  std::string s =
      "#!/bin/busybox sh\n"
      "# HotMem guest init: mount the basics, load the virtio drivers, hand over to the agent.\n"
      "/bin/busybox mkdir -p /proc /sys /dev /run /tmp\n"
      "/bin/busybox --install -s /bin\n"
      "export PATH=/sbin:/bin\n"
      "mount -t proc proc /proc\n"
      "mount -t sysfs sysfs /sys\n"
      "mount -t devtmpfs devtmpfs /dev\n"
      "mount -t tmpfs -o mode=0755 tmpfs /run\n"
      "mount -t cgroup2 cgroup2 /sys/fs/cgroup\n"
      "# No page moves unless HotMem asks for them: proactive compaction would\n"
      "# migrate pages in the background and blur pgmigrate_success.\n"
      "echo 0 > /proc/sys/vm/compaction_proactiveness\n";
  for (const std::string& m : module_paths) {
    s += fmt::format("insmod /lib/modules/{}/{} || echo \"hotmem-init: cannot load {}\"\n", kernel_version, m, m);
  }
  s += "exec /sbin/hotmem-agent\n";
  return s;
}

Result<GuestImage> build_image(const ImageBuildOptions& options) {
  auto version = find_kernel_version(options.kernel_dir);
  if (!version) return version.error();
  const fs::path modules_dir = options.kernel_dir / "lib/modules" / *version;
  auto dep_text = read_text_file(modules_dir / "modules.dep", 64u << 20);
  if (!dep_text) return dep_text.error().context("kernel modules");
  auto builtin_text = read_text_file(modules_dir / "modules.builtin", 64u << 20);
  auto deps = ModuleDeps::parse(*dep_text, builtin_text ? *builtin_text : "");
  if (!deps) return deps.error();
  auto order = deps->load_order(options.modules);
  if (!order) return order.error();
  for (const std::string& m : *order) {
    if (!m.ends_with(".ko")) {
      return Error(fmt::format("module {} is compressed; busybox insmod needs plain .ko files", m));
    }
  }
  if (Status s = check_static_elf(options.agent, "agent"); !s) return s.error();
  if (Status s = check_static_elf(options.busybox, "busybox (install busybox-static)"); !s) return s.error();

  std::error_code ec;
  fs::create_directories(options.out, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", options.out.string(), ec.message()));

  GuestImage image;
  image.dir = options.out;
  image.kernel = options.out / "vmlinuz";
  image.initrd = options.out / "initrd.img";
  image.kernel_version = *version;
  image.cmdline = options.cmdline;
  image.modules = *order;

  if (Status s = copy_into_image(options.kernel_dir / "boot" / ("vmlinuz-" + *version), image.kernel); !s) return s.error();

  const fs::path partial = options.out / "initrd.img.partial";
  auto cpio = CpioWriter::open(partial);
  if (!cpio) return cpio.error();
  auto add_file = [&](const std::string& name, const fs::path& from, int mode) -> Status {
    auto data = read_binary(from);
    if (!data) return data.error();
    if (Status s = cpio->parents(name); !s) return s;
    return cpio->file(name, *data, mode);
  };
  for (const char* d : {"dev", "proc", "sys", "run", "tmp", "bin", "sbin"}) {
    if (Status s = cpio->dir(d); !s) return s.error();
  }
  if (Status s = cpio->char_device("dev/console", 5, 1); !s) return s.error();
  if (Status s = cpio->file("init", init_script(*version, *order), 0755); !s) return s.error();
  if (Status s = add_file("bin/busybox", options.busybox, 0755); !s) return s.error();
  if (Status s = add_file("sbin/hotmem-agent", options.agent, 0755); !s) return s.error();
  for (const std::string& m : *order) {
    const std::string name = fmt::format("lib/modules/{}/{}", *version, m);
    if (Status s = add_file(name, modules_dir / m, 0644); !s) return s.error();
  }
  if (Status s = cpio->close(); !s) return s.error();
  fs::rename(partial, image.initrd, ec);
  if (ec) return Error(fmt::format("cannot move {} into place: {}", partial.string(), ec.message()));
  if (Status s = write_manifest(image); !s) return s.error();
  return image;
}

}  // namespace hotmem::image

#include "host/run_dir.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <fstream>

#include <fmt/format.h>

#include "host/runtime_root.h"
#include "vmm/qemu/qemu_vm.h"

namespace hotmem::host {
namespace {

namespace fs = std::filesystem;

// Parses one unsigned decimal number at the start of `text`, consuming it.
template <typename T>
bool take_number(std::string_view& text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

}  // namespace

Status record_owner(const fs::path& dir) {
  auto self = process_identity(::getpid());
  if (!self) return self.error();
  std::ofstream out(dir / kOwnerFile);
  out << self->pid << " " << self->start_ticks << "\n";
  out.close();
  if (!out) return Error(fmt::format("cannot write {}", (dir / kOwnerFile).string()));
  return ok_status();
}

Result<ProcessIdentity> recorded_owner(const fs::path& dir) {
  auto text = read_text_file(dir / kOwnerFile, 64);
  if (!text) return Error(fmt::format("no owner recorded ({})", text.error().message()));
  std::string_view rest = *text;
  ProcessIdentity owner;
  bool parsed = take_number(rest, owner.pid) && rest.starts_with(' ');
  if (parsed) {
    rest.remove_prefix(1);
    parsed = take_number(rest, owner.start_ticks) && (rest.empty() || rest == "\n");
  }
  if (!parsed || owner.pid <= 0) {
    return Error(fmt::format("its owner file is not \"<pid> <start time>\": '{}'", text->substr(0, 40)));
  }
  return owner;
}

Result<TempDir> create_run_dir(const std::string& name) {
  auto parent = run_dirs_root();
  if (!parent) return parent.error();
  auto dir = TempDir::create(*parent, name + "-");
  if (!dir) return dir.error();
  if (Status s = record_owner(dir->path()); !s) return s.error();
  return dir;
}

SweepReport sweep_orphaned_run_dirs(const fs::path& parent, const fs::path& qemu_binary) {
  SweepReport report;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const fs::path dir = entry.path();
    if (Status ours = check_owned_dir(dir); !ours) {
      report.left.push_back(fmt::format("left {}: not a run directory of ours ({})", dir.string(),
                                        ours.error().message()));
      continue;
    }
    auto owner = recorded_owner(dir);
    if (!owner) {
      report.left.push_back(fmt::format("left {}: {}", dir.string(), owner.error().message()));
      continue;
    }
    if (process_alive(*owner)) continue;  // a live VM's
    std::string killed;
    std::vector<std::string> others;
    // QEMU's command line names its sockets in the directory.
    for (pid_t pid : processes_matching(dir.string() + "/")) {
      auto exe = process_executable(pid);
      if (exe && is_program(*exe, qemu_binary)) {
        if (::kill(pid, SIGKILL) == 0) killed += fmt::format("; killed its QEMU {}", pid);
      } else {
        others.push_back(fmt::format("pid {} ({})", pid, exe ? exe->string() : exe.error().message()));
      }
    }
    if (!others.empty()) {
      report.left.push_back(fmt::format("left {}: its owner (pid {}) is gone, but {} still name{} it and {} not {}{}",
                                        dir.string(), owner->pid, fmt::join(others, ", "),
                                        others.size() == 1 ? "s" : "", others.size() == 1 ? "is" : "are",
                                        qemu_binary.string(), killed));
      continue;
    }
    std::error_code removing;
    fs::remove_all(dir, removing);
    if (removing) {
      report.left.push_back(fmt::format("could not remove {}: {}{}", dir.string(), removing.message(), killed));
    } else {
      report.removed.push_back(
          fmt::format("removed {} (its owner, pid {}, is gone){}", dir.string(), owner->pid, killed));
    }
  }
  if (ec) report.left.push_back(fmt::format("could not list {}: {}", parent.string(), ec.message()));
  return report;
}

Result<SweepReport> sweep_orphaned_run_dirs() {
  auto parent = run_dirs_root();
  if (!parent) return parent.error();
  auto qemu = vmm::qemu::qemu_binary();
  if (!qemu) return qemu.error();
  return sweep_orphaned_run_dirs(*parent, *qemu);
}

}  // namespace hotmem::host

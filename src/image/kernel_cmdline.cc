#include "image/kernel_cmdline.h"

#include <algorithm>
#include <sstream>

namespace hotmem::image {

KernelCmdline KernelCmdline::parse(std::string_view text) {
  KernelCmdline c;
  c.merge(text);
  return c;
}

void KernelCmdline::merge(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      set(word, std::nullopt);
    } else {
      set(word.substr(0, eq), word.substr(eq + 1));
    }
  }
}

void KernelCmdline::set(std::string_view key, std::optional<std::string> value) {
  auto it = std::find_if(words_.begin(), words_.end(), [&](const auto& w) { return w.first == key; });
  if (it != words_.end()) {
    it->second = std::move(value);
  } else {
    words_.emplace_back(std::string(key), std::move(value));
  }
}

std::optional<std::string> KernelCmdline::get(std::string_view key) const {
  for (const auto& [k, v] : words_) {
    if (k == key) return v.value_or("");
  }
  return std::nullopt;
}

bool KernelCmdline::has(std::string_view key) const { return get(key).has_value(); }

std::string KernelCmdline::render() const {
  std::string out;
  for (const auto& [k, v] : words_) {
    if (!out.empty()) out += ' ';
    out += k;
    if (v) out += "=" + *v;
  }
  return out;
}

KernelCmdline default_cmdline() {
  // - memhp_default_state=online_movable: hotplugged memory joins
  //   ZONE_MOVABLE, so unmovable kernel allocations never land in a partition.
  // - init_on_alloc=0: the host hands back unplugged memory zeroed, so the
  //   guest need not zero pages again (Debian's kernel zeroes by default).
  // - numa_balancing=disable: automatic NUMA balancing would migrate pages
  //   between nodes by itself and blur pgmigrate_success.
  // - rcupdate.rcu_expedited=1: memory hot(un)plug takes mem_hotplug_lock,
  //   whose writer side waits for RCU grace periods; normal grace periods
  //   cost whole timer ticks each (a 512 MiB unplug measured 45-57 ms median
  //   under TCG, expedited 31-34 ms).
  // - preempt=full: a running instance preempts kernel work of lower
  //   priority (the agent offlines a partition at SCHED_IDLE for its first
  //   50 ms) at once, not at the next voluntary preemption point.
  // - panic=-1: a dead init reboots at once, and QEMU (-no-reboot) exits.
  // - swiotlb=noforce: no 64 MiB bounce buffer. Linux sets one up whenever
  //   memory could lie above 4 GiB, as the hotplug range does, and zeroes
  //   it at boot: 64 MiB less for node 0 and 62 MiB more QEMU RSS per VM
  //   (304 against 242 MiB idle) for nothing: virtio devices without
  //   VIRTIO_F_ACCESS_PLATFORM, all this guest has, never bounce.
  // - hotmem.thp=always: the agent turns transparent hugepages on. Linux
  //   turns them off when a guest boots with under 512 MiB, as the hotplug
  //   modes' guests do (node 0 only), while a static guest with all its
  //   memory at boot keeps them: without this, the same function touched
  //   its memory 1.7x slower under hotmem and virtio-mem than under static
  //   (4 KiB page faults instead of 2 MiB ones; TCG, 100 MiB).
  return KernelCmdline::parse(
      "console=ttyS0 loglevel=4 panic=-1 8250.nr_uarts=1 random.trust_cpu=on "
      "memhp_default_state=online_movable init_on_alloc=0 numa_balancing=disable rcupdate.rcu_expedited=1 preempt=full "
      "swiotlb=noforce hotmem.thp=always");
}

}  // namespace hotmem::image

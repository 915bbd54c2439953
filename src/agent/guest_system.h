// What the agent reads from the guest kernel: per-node meminfo, vmstat, and
// identity (kernel release, uptime, command line).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hotmem::agent {

// Guest NUMA nodes that exist (/sys/devices/system/node/nodeN).
std::vector<int> list_nodes();
// Raw text of /sys/devices/system/node/node<N>/meminfo.
Result<std::string> node_meminfo_text(int node);
Result<std::string> vmstat_text();
std::string kernel_release();

// Takes every online memory block of `node` offline; returns how many. On a
// partition node whose pages are all free this moves and zeroes nothing;
// virtio-mem then unplugs the offline blocks without alloc_contig_range.
// Pages still in use there are migrated to other nodes (a partition is
// movable memory); a page that cannot be moved (pinned, say) makes it retry
// until a fatal signal (run it where that is harmless).
Result<int> offline_node_memory(int node);
// Brings a node's offline memory blocks back online (movable): undoes an
// offlining that a new instance on the node overtook. Returns how many.
Result<int> online_node_memory(int node);
// Whether a node list as cpuset files show it ("0-2,4") names `node`.
bool node_list_contains(std::string_view list, int node);
// Reads files (or every file under directories) once, so their page cache
// is allocated by the agent, on node 0, before any instance is bound to a
// partition; returns the bytes read.
Result<std::uint64_t> preload_files(const std::vector<std::string>& paths);
std::uint64_t uptime_ms();
// Free pages that `node`'s zones keep on per-CPU lists, from the text of
// /proc/zoneinfo ("count:" under each zone's "pagesets"). They are free, but
// MemFree leaves them out; with transparent hugepages a few 2 MiB pages can
// sit there after an instance exits (taking the node offline drains them).
std::uint64_t per_cpu_free_pages(std::string_view zoneinfo, int node);
// The bytes a process has on `node`, from the text of its
// /proc/PID/numa_maps: each mapping's "N<node>=<pages>", in pages of its
// "kernelpagesize_kB" (4 KiB when it does not say).
std::uint64_t numa_maps_node_bytes(std::string_view numa_maps, int node);
// The value of the word `key=value` on a kernel command line, if it has one.
std::optional<std::string_view> cmdline_value(std::string_view cmdline, std::string_view key);
// Sets transparent hugepages for the whole guest: "always", "madvise" or
// "never" (/sys/kernel/mm/transparent_hugepage/enabled).
Status set_transparent_hugepages(std::string_view mode);
// Brings up the guest's loopback interface, where instances listen for
// their invocations.
Status bring_up_loopback();

}  // namespace hotmem::agent

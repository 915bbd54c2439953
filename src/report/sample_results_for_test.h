// Result files of every benchmark kind, as docs/results-format.md describes
// them, for the report's tests. Header-only: only tests include it.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hotmem::report::testing {

using nlohmann::ordered_json;

inline ordered_json sample_host() {
  return {{"accel", "tcg"},
          {"cpu_model", "Example CPU @ 2.0GHz"},
          {"cpus", 2},
          {"mem_total_bytes", 8589934592ULL},
          {"kernel", "6.1.0-56-amd64"},
          {"date", "2025-01-02T03:04:05Z"}};
}

inline ordered_json reclaim_row(const std::string& mode, int zeroing, double utilization, double mib, double ms) {
  return {{"mode", mode},
          {"init_on_alloc", zeroing},
          {"utilization", utilization},
          {"instances_running", 9},
          {"reclaim_mib", mib},
          {"reclaim_ms", ms},
          {"reclaim_ms_all", {ms * 0.9, ms, ms * 1.2}},
          {"migrated_pages", mode == "hotmem" ? 0 : 131072},
          {"migrated_pages_all", {0, 0, 0}},
          {"host_rss_released_mib", mib * 0.95},
          {"guest_cpu_ms", ms / 2},
          {"host_cpu_ms", ms / 3}};
}

inline ordered_json document(const std::string& benchmark, ordered_json config, ordered_json results) {
  return {{"benchmark", benchmark}, {"host", sample_host()}, {"config", std::move(config)},
          {"results", std::move(results)}};
}

// reclaim: one size, one utilisation, both zeroing settings (a bar chart).
inline ordered_json sample_reclaim() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem"}) {
    for (const int zeroing : {0, 1}) {
      rows.push_back(reclaim_row(mode, zeroing, 0.9, 2048, (mode == "hotmem" ? 120.0 : 900.0) * (1 + zeroing)));
    }
  }
  return document("reclaim",
                  {{"modes", {"hotmem", "virtio-mem"}},
                   {"instances", 10},
                   {"reclaim_mib", 2048},
                   {"note", "<b>&\"quoted\", 'x'</b>"}},
                  rows);
}

inline ordered_json sample_sizes() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem"}) {
    for (const int zeroing : {0, 1}) {
      for (const double mib : {512.0, 1024.0, 2048.0, 4096.0}) {
        rows.push_back(reclaim_row(mode, zeroing, 0.9, mib, mib / (mode == "hotmem" ? 20 : 2) * (1 + zeroing)));
      }
    }
  }
  return document("sizes", {{"modes", {"hotmem", "virtio-mem"}}, {"reclaim_mibs", {512, 1024, 2048, 4096}}}, rows);
}

inline ordered_json sample_utilization() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem", "balloon"}) {
    for (const double u : {0.1, 0.5, 0.9, 1.0}) {
      rows.push_back(reclaim_row(mode, 0, u, 1024, mode == "hotmem" ? 60 : mode == "balloon" ? 150 + 500 * u : 100 + 800 * u));
    }
  }
  return document("utilization", {{"utilizations", {0.1, 0.5, 0.9, 1.0}}, {"reclaim_mib", 1024}}, rows);
}

inline ordered_json sample_cpu() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem", "balloon"}) {
    const double guest = mode == "hotmem" ? 40 : 400;
    rows.push_back({{"mode", mode},
                    {"init_on_alloc", 0},
                    {"reclaims", 5},
                    {"reclaimed_mib", 5120},
                    {"guest_cpu_ms", guest * 5},
                    {"guest_cpu_ms_per_vcpu", {guest * 3, guest * 2}},
                    {"host_cpu_ms", guest * 2},
                    {"guest_cpu_ms_per_gib", guest},
                    {"host_cpu_ms_per_gib", guest / 2.5}});
  }
  return document("cpu", {{"reclaims", 5}}, rows);
}

inline ordered_json sample_interference() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem", "balloon-fpr"}) {
    const double slow = mode == "hotmem" ? 1.1 : 6;
    rows.push_back({{"mode", mode},
                    {"idle_p50_ms", 2.0},
                    {"idle_p99_ms", 4.0},
                    {"idle_samples", 500},
                    {"reclaim_p50_ms", 2.0 * slow},
                    {"reclaim_p99_ms", 4.0 * slow},
                    {"reclaim_samples", 480},
                    {"p99_ratio", slow},
                    {"reclaim_ms", mode == "hotmem" ? 110 : 950}});
  }
  return document("interference", {{"requests_per_second", 100}}, rows);
}

// hotmem bench colocation: one row per mode, a second without requests null.
inline ordered_json sample_colocation() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem"}) {
    const double after = mode == "hotmem" ? 2.1 : 4.0;
    rows.push_back({{"mode", mode},
                    {"evictions", 1},
                    {"before_mean_ms", 2.0},
                    {"worst_after_ms", after},
                    {"worst_after_ratio", after / 2.0},
                    {"before_worst_ratio", 1.02},
                    {"worst_after_ratio_all", {after / 2.0}},
                    {"reclaim_ms", mode == "hotmem" ? 40 : 600},
                    {"migrated_pages", mode == "hotmem" ? 0 : 30000},
                    {"first_second", -2},
                    {"per_second_ms", {2.0, nullptr, after, 2.0, 2.0}},
                    {"per_second_requests", {900, 0, 500, 900, 900}}});
  }
  return document("colocation", {{"vcpus", 2}, {"serving", 4}, {"evicted", 4}}, rows);
}

inline ordered_json sample_plug() {
  ordered_json rows = ordered_json::array();
  for (const std::string mode : {"hotmem", "virtio-mem", "static"}) {
    const double plug = mode == "static" ? 0 : 90;
    rows.push_back({{"mode", mode},
                    {"plug_ms", plug},
                    {"plug_ms_all", {plug, plug}},
                    {"start_ms", 300 + plug},
                    {"start_ms_all", {300 + plug, 310 + plug}},
                    {"overhead_vs_static_ms", plug}});
  }
  return document("plug", {{"starts", 2}}, rows);
}

inline ordered_json sample_scale() {
  ordered_json rows = ordered_json::array();
  for (const int k : {1, 8, 32}) {
    const double ms = 30.0 * (1 + 0.5 * (k - 1));
    rows.push_back({{"mode", "hotmem"},
                    {"partitions", 64},
                    {"reclaim_partitions", k},
                    {"reclaim_ms", ms},
                    {"reclaim_ms_all", {ms, ms}},
                    {"vs_one", ms / 30.0},
                    {"reclaim_ms_per_partition", ms / k},
                    {"guest_cpu_ms", 20.0 * k},
                    {"migrated_pages", 0},
                    {"replug_ms", 4.0},
                    {"replug_ms_max", 9.0},
                    {"fresh_plug_ms", 3.0},
                    {"fresh_plug_ms_max", 7.0},
                    {"replug_vs_fresh", 3.0},
                    {"boot_ms", 9000.0},
                    {"boot_memory_mib", 768},
                    {"fill_s", 80.0}});
  }
  return document("scale", {{"partitions", 64}, {"repeat", 2}}, rows);
}

// hotmem bench floor: one row per size.
inline ordered_json sample_floor() {
  ordered_json rows = ordered_json::array();
  for (const double mib : {512.0, 2048.0}) {
    rows.push_back({{"mode", "hotmem"},
                    {"init_on_alloc", 0},
                    {"reclaim_mib", mib},
                    {"instances_running", 9},
                    {"utilization", 0.9},
                    {"unused_ms", mib / 20},
                    {"unused_ms_p25", mib / 22},
                    {"unused_ms_p75", mib / 18},
                    {"unused_ms_all", {mib / 22, mib / 20, mib / 18}},
                    {"unused_device_ms", mib / 40},
                    {"reclaim_ms", mib / 16},
                    {"reclaim_ms_p25", mib / 17},
                    {"reclaim_ms_p75", mib / 15},
                    {"reclaim_ms_all", {mib / 17, mib / 16, mib / 15}},
                    {"device_ms", mib / 32},
                    {"ratio_vs_floor", 1.25},
                    {"device_ratio_vs_floor", 1.25},
                    {"unused_migrated_pages", 0},
                    {"migrated_pages", 0},
                    {"unused_unplugged_mib", mib},
                    {"unplugged_mib", mib}});
  }
  return document("floor", {{"instances", 10}, {"repeat", 3}}, rows);
}

// hotmem bench one-to-one: per runtime a 1:1 row and an N:1 row with the ratios.
inline ordered_json sample_one_to_one() {
  ordered_json rows = ordered_json::array();
  for (const char* runtime : {"native", "python"}) {
    rows.push_back({{"runtime", runtime}, {"model", "1:1"}, {"mode", "static"}, {"vmm", "boot"}, {"starts", 3},
                    {"vmm_ms", 9000.0}, {"sandbox_ms", 40.0}, {"init_ms", 5.0}, {"exec_ms", 20.0},
                    {"cold_start_ms", 9065.0}, {"cold_start_ms_all", {9000.0, 9065.0, 9100.0}},
                    {"memory_per_instance_mib", 200.0}, {"memory_per_instance_mib_all", {190.0, 200.0, 210.0}}});
    rows.push_back({{"runtime", runtime}, {"model", "N:1"}, {"mode", "hotmem"}, {"vmm", "plug"}, {"starts", 3},
                    {"vmm_ms", 30.0}, {"sandbox_ms", 30.0}, {"init_ms", 4.0}, {"exec_ms", 16.0},
                    {"cold_start_ms", 80.0}, {"cold_start_ms_all", {70.0, 80.0, 90.0}},
                    {"memory_per_instance_mib", 50.0}, {"memory_per_instance_mib_all", {45.0, 50.0, 55.0}},
                    {"cold_start_ratio", 80.0 / 9065}, {"memory_per_instance_ratio", 0.25}});
  }
  return document("one-to-one", {{"starts", 3}, {"instance_mib", 256}}, rows);
}

// A benchmark the report does not know: table only.
inline ordered_json sample_unknown() {
  return document("warmup", {{"rounds", 2}},
                  ordered_json::array({{{"mode", "hotmem"}, {"boot_ms", 9240.5}, {"label", "a,b \"c\""}},
                                       {{"mode", "virtio-mem"}, {"boot_ms", 9300}, {"extra", true}}}));
}

// File name -> document, one per kind.
inline std::map<std::string, ordered_json> sample_results() {
  return {{"reclaim.json", sample_reclaim()},   {"sizes.json", sample_sizes()},
          {"utilization.json", sample_utilization()}, {"cpu.json", sample_cpu()},
          {"interference.json", sample_interference()}, {"colocation.json", sample_colocation()},
          {"plug.json", sample_plug()},
          {"scale.json", sample_scale()},   {"floor.json", sample_floor()},
          {"one-to-one.json", sample_one_to_one()},
          {"warmup.json", sample_unknown()}};
}

// One plot per known kind (two for one-to-one); none for the unknown one.
constexpr int kSamplePlots = 11;
constexpr int kSampleExperiments = 11;

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline void write_sample_results(const std::filesystem::path& dir) {
  for (const auto& [name, doc] : sample_results()) write_text(dir / name, doc.dump(2) + "\n");
}

}  // namespace hotmem::report::testing

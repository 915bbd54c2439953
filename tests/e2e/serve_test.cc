// End to end: the daemon's autoscaler on a real guest. A Python function of
// concurrency 4 gets 8 concurrent invocations: 4 cold starts, each in its
// own partition, and 4 queued requests, all answered correctly. After the
// keep-alive every partition is unplugged with 0 pages migrated and QEMU's
// RSS is back within 10% of its idle baseline; DELETE ends the VM. A VM
// whose QEMU dies is booted again and serves; one that keeps failing is
// crash-looping until deployed anew. A 1:1 function boots a VM for its
// instance on a cold start and ends it after the keep-alive. The dashboard
// (GET /), opened in headless Chromium while the 8 invocations run, draws
// the function's partitions and its charts.
#include <httplib.h>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/poll.h"
#include "common/proc_stats.h"
#include "common/temp_dir.h"
#include "daemon_fixture.h"
#include "host/guest_workloads.h"
#include "host/runtime_root.h"
#include "image/guest_image.h"
#include "serve/dashboard_check_for_test.h"

namespace hotmem::e2e {
namespace {

using serve::json;

constexpr int kConcurrency = 4;
constexpr int kInvocations = 8;
constexpr int kRunMs = 3000;
constexpr int kRunMib = 96;

// An OpenWhisk action that holds `mib` MiB (written, so resident) for `ms`.
constexpr const char* kHoldAction =
    "import time\n"
    "def main(args):\n"
    "    mib = int(args.get('mib', 0))\n"
    "    held = b'\\x01' * (mib << 20)\n"
    "    time.sleep(int(args.get('ms', 0)) / 1000)\n"
    "    return {'echo': args.get('echo'), 'mib': mib, 'held': len(held) >> 20}\n";

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<InProcessDaemon>("e2e-serve", DaemonOptions{});
    ASSERT_TRUE(daemon_->start());
  }
  void TearDown() override { daemon_.reset(); }

  httplib::Client client() { return daemon_->client(); }
  json get(const std::string& path) {
    auto r = client().Get(path);
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET " << path << " failed";
      return json::object();
    }
    return json::parse(r->body);
  }

  // Waits until the function has no instance and every partition is empty.
  json wait_idle(const std::string& function) {
    json state;
    for (int i = 0; i < 120; ++i) {
      state = get("/v1/functions/" + function);
      if (serve::is_idle(state)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return state;
  }

  serve::Metrics& metrics() { return daemon_->metrics(); }

  std::unique_ptr<InProcessDaemon> daemon_;
};

TEST_F(Serve, ConcurrentInvocationsScaleToNPartitionsQueueTheRestAndKeepAliveReclaimsWithoutMigration) {
  auto deployed = client().Put("/v1/functions/holder",
                               json{{"runtime", "python"}, {"code", kHoldAction}, {"memory_mib", 256},
                                    {"concurrency", kConcurrency}, {"mode", "hotmem"}, {"keep_alive_s", 3}}
                                   .dump(),
                               "application/json");
  ASSERT_TRUE(deployed);
  ASSERT_EQ(deployed->status, 201) << deployed->body;
  // The idle baseline: the VM after N concurrent instances have come and
  // gone, so the guest kernel's own first-use allocations on node 0 (cgroup
  // and process structures, page tables, slabs for N processes; boot memory,
  // never given back) are in it. Without that warm-up they add ~10% once,
  // the first time (+39 MiB on a 364 MiB VM).
  std::vector<std::future<int>> warm;
  for (int i = 0; i < kConcurrency; ++i) {
    warm.push_back(std::async(std::launch::async, [this] {
      auto r = client().Post("/v1/functions/holder/invoke", json{{"mib", kRunMib}}.dump(), "application/json");
      return r ? r->status : 0;
    }));
  }
  for (auto& w : warm) ASSERT_EQ(w.get(), 200);
  const json idle = wait_idle("holder");
  ASSERT_TRUE(idle["instances"].empty()) << idle.dump(2);
  const pid_t qemu = idle["vm"]["pid"].get<pid_t>();
  const double rss_idle = idle["vm"]["rss_bytes"].get<double>();
  const double reclaims_before = metrics().counter(serve::kReclaims, "holder");

  std::vector<std::future<std::pair<int, json>>> calls;
  for (int i = 0; i < kInvocations; ++i) {
    calls.push_back(std::async(std::launch::async, [this, i] {
      auto r = client().Post("/v1/functions/holder/invoke",
                             json{{"mib", kRunMib}, {"ms", kRunMs}, {"echo", i}}.dump(), "application/json");
      if (!r) return std::pair{0, json()};
      return std::pair{r->status, json::parse(r->body, nullptr, false)};
    }));
  }
  // Mid-flight: N instances, the rest queued, each instance in its partition.
  // Cold starts take a while under emulation, so wait for them to settle.
  json busy;
  int assigned = 0;
  for (int i = 0; i < 100; ++i) {
    busy = get("/v1/functions/holder");
    assigned = 0;
    for (const json& p : busy["memory"]["partitions"]) assigned += p["state"] == "assigned";
    if (assigned == kConcurrency && busy["queued"] == kInvocations - kConcurrency) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(busy["instances"].size(), static_cast<std::size_t>(kConcurrency)) << busy.dump(2);
  EXPECT_EQ(busy["queued"].get<int>(), kInvocations - kConcurrency) << busy.dump(2);
  EXPECT_EQ(assigned, kConcurrency) << busy["memory"].dump(2);

  // The dashboard, opened now in headless Chromium, on another thread: it
  // shares this booted VM, and the invocations go on while it loads.
  auto scratch = TempDir::create("/tmp", "e2e-serve-dashboard-");
  ASSERT_TRUE(scratch) << scratch.error().message();
  const auto dashboard_opened = Clock::now();
  auto dashboard = std::async(std::launch::async, [url = daemon_->url(), dir = scratch->path()] {
    auto view = serve::testing::view_dashboard(url, dir);
    return std::pair{std::move(view), Clock::now()};
  });

  // QEMU's peak while the invocations run: sampled until the last answers,
  // since when the instances finish touching depends on the host's speed.
  double rss_peak = busy["vm"]["rss_bytes"].get<double>();
  while (calls.back().wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
    if (auto rss = process_rss_bytes(qemu)) rss_peak = std::max(rss_peak, static_cast<double>(*rss));
  }

  int cold = 0, queued = 0;
  std::set<std::string> instances;
  for (int i = 0; i < kInvocations; ++i) {
    auto [status, body] = calls[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(status, 200) << body.dump();
    EXPECT_EQ(body["result"]["echo"], i);
    EXPECT_EQ(body["result"]["mib"], kRunMib);
    EXPECT_EQ(body["result"]["held"], kRunMib);
    instances.insert(body["instance"].get<std::string>());
    if (body["cold_start"].get<bool>()) ++cold;
    if (body["timings_ms"]["queued"].get<double>() >= kRunMs / 2) ++queued;
  }
  EXPECT_EQ(cold, kConcurrency);
  EXPECT_EQ(queued, kInvocations - kConcurrency);
  EXPECT_EQ(instances.size(), static_cast<std::size_t>(kConcurrency));

  // What the dashboard drew: a cell per partition, coloured by a state the
  // API gave; the instances; the committed memory line over its polls and
  // a dot per invocation (the 4 of the warm-up at least); a screenshot with
  // more in it than a background.
  const auto waited_from = Clock::now();
  auto [view, dashboard_done] = dashboard.get();
  std::printf("dashboard check: %.1f s in Chromium, of which %.1f s after the invocations ended\n",
              to_seconds(dashboard_done - dashboard_opened), to_seconds(Clock::now() - waited_from));
  ASSERT_TRUE(view) << view.error().message();
  for (const auto& [state, count] : view->cells) std::printf("dashboard: %d cell(s) %s\n", count, state.c_str());
  EXPECT_GE(view->polls, 2) << view->dom.substr(0, 3000);
  EXPECT_EQ(view->error, "");
  int cells = 0;
  for (const auto& [state, count] : view->cells) {
    cells += count;
    EXPECT_TRUE(std::set<std::string>({"empty", "plugging", "ready", "assigned", "draining", "unplugging"})
                    .contains(state))
        << "a cell in state '" << state << "'";
  }
  EXPECT_EQ(cells, kConcurrency) << "one cell per partition";
  EXPECT_LE(view->instance_rows, kConcurrency);
  EXPECT_NE(view->dom.find("data-function=\"holder\""), std::string::npos);
  std::map<std::string, int> points;
  for (const auto& series : view->memory) points[series.klass] = series.points;
  for (const auto& series : view->latency) points[series.klass] += series.points;
  EXPECT_GE(points["series committed"], 2) << "the committed memory line has too few points";
  EXPECT_GE(points["series rss"], 2) << "the QEMU RSS line has too few points";
  EXPECT_GE(points["series warm"] + points["series cold"], kConcurrency) << "the warm-up's invocations are not drawn";
  EXPECT_GT(view->screenshot_colours, 16u) << "the screenshot is (nearly) blank";

  // Keep-alive: every instance stops and its partition is unplugged.
  const json after = wait_idle("holder");
  ASSERT_TRUE(after["instances"].empty()) << after.dump(2);
  for (const json& p : after["memory"]["partitions"]) EXPECT_EQ(p["state"], "empty") << p.dump();
  EXPECT_EQ(metrics().counter(serve::kReclaims, "holder") - reclaims_before, kConcurrency);
  EXPECT_EQ(metrics().counter(serve::kMigratedPages, "holder"), 0);
  EXPECT_EQ(metrics().counter(serve::kUnpluggedBytes, "holder"), metrics().counter(serve::kPluggedBytes, "holder"));
  const double rss_after = after["vm"]["rss_bytes"].get<double>();
  EXPECT_GT(rss_peak, rss_idle + 200.0 * kMiB) << "the invocations did not grow QEMU";
  EXPECT_LE(rss_after, rss_idle * 1.10) << "idle " << rss_idle / kMiB << " MiB, after " << rss_after / kMiB << " MiB";

  auto removed = client().Delete("/v1/functions/holder");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200);
  EXPECT_TRUE(process_gone(qemu, std::chrono::seconds(10))) << "QEMU " << qemu << " outlived DELETE";
}

// The 1:1 model: nothing boots at deploy; the first invocation boots a VM
// of 1 vCPU for its instance (its budget share admitted first), the next
// reuses it warm, and after the keep-alive the VM is gone and its memory
// back in the budget.
TEST_F(Serve, AOneToOneFunctionBootsAVmForItsInstanceAndEndsItAfterTheKeepAlive) {
  auto deployed = client().Put("/v1/functions/solo",
                               json{{"model", "1:1"}, {"command", host::action_argv()}, {"memory_mib", 128},
                                    {"concurrency", 2}, {"keep_alive_s", 2}}
                                   .dump(),
                               "application/json");
  ASSERT_TRUE(deployed);
  ASSERT_EQ(deployed->status, 201) << deployed->body;
  const json fresh = json::parse(deployed->body);
  EXPECT_EQ(fresh["function"]["model"], "1:1");
  EXPECT_EQ(fresh["instance_vm"]["vcpus"], 1);
  EXPECT_TRUE(fresh["instances"].empty());

  auto call = [this](int echo) {
    auto r = client().Post("/v1/functions/solo/invoke", json{{"mib", 16}, {"echo", echo}}.dump(), "application/json");
    if (!r) return std::pair{0, json()};
    return std::pair{r->status, json::parse(r->body, nullptr, false)};
  };
  auto [status, cold] = call(1);
  ASSERT_EQ(status, 200) << cold.dump();
  EXPECT_TRUE(cold["cold_start"].get<bool>());
  EXPECT_EQ(cold["result"]["echo"], 1);
  EXPECT_GT(cold["timings_ms"]["boot"].get<double>(), 0);
  EXPECT_GE(cold["timings_ms"]["cold_start"].get<double>(), cold["timings_ms"]["boot"].get<double>());

  const json running = get("/v1/functions/solo");
  ASSERT_EQ(running["instances"].size(), 1u) << running.dump(2);
  const pid_t qemu = running["instances"][0]["vm"]["pid"].get<pid_t>();
  EXPECT_EQ(::kill(qemu, 0), 0);
  const json memory = get("/v1/memory");
  EXPECT_GE(memory["committed_bytes"].get<double>(), 128.0 * kMiB) << memory.dump(2);

  auto [again, warm] = call(2);
  ASSERT_EQ(again, 200) << warm.dump();
  EXPECT_FALSE(warm["cold_start"].get<bool>());
  EXPECT_EQ(warm["instance"], cold["instance"]);

  const json after = wait_idle("solo");
  EXPECT_TRUE(after["instances"].empty()) << after.dump(2);
  EXPECT_TRUE(process_gone(qemu, std::chrono::seconds(10))) << "QEMU " << qemu << " outlived the keep-alive";
  EXPECT_EQ(get("/v1/memory")["committed_bytes"].get<double>(), 0) << get("/v1/memory").dump(2);
  EXPECT_EQ(metrics().counter(serve::kColdStarts, "solo"), 1);
  EXPECT_EQ(get("/v1/functions")["functions"][0]["model"], "1:1");
  auto removed = client().Delete("/v1/functions/solo");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200);
}

// An unmodified OpenWhisk Python action, and one of the shipped functions,
// deployed and invoked through the daemon: /init with the code, /run with
// the parameters, inside the VM's read-only Debian root filesystem.
// Python actions as OpenWhisk users write them. What they print is their
// activation's log, read back with `hotmem fn logs`; one that prints 10 MiB
// gets its log truncated and its instance serves on.
TEST_F(Serve, OpenWhiskPythonActionsRunAsTheyAre) {
  const std::string hello =
      "import sys\n"
      "def main(args):\n"
      "    name = args.get('name', 'stranger')\n"
      "    print('greeting', name)\n"
      "    print('to stderr', file=sys.stderr)\n"
      "    if args.get('flood'):\n"
      "        line = 'x' * 1023\n"
      "        for _ in range(10 * 1024):\n"
      "            print(line)\n"
      "    return {'greeting': 'Hello ' + name + '!'}\n";
  std::ifstream shipped(HOTMEM_SOURCE_DIR "/functions/python/pyaes.py");
  ASSERT_TRUE(shipped) << "functions/python/pyaes.py is missing";
  const std::string pyaes((std::istreambuf_iterator<char>(shipped)), std::istreambuf_iterator<char>());
  for (const auto& [name, code] : {std::pair{"hello", hello}, std::pair{"pyaes", pyaes}}) {
    auto deployed = client().Put(fmt::format("/v1/functions/{}", name),
                                 json{{"runtime", "python"}, {"code", code}, {"memory_mib", 256}, {"concurrency", 1},
                                      {"keep_alive_s", 60}}
                                     .dump(),
                                 "application/json");
    ASSERT_TRUE(deployed);
    ASSERT_EQ(deployed->status, 201) << deployed->body;
  }
  auto greeted = client().Post("/v1/functions/hello/invoke", json{{"name", "HotMem"}}.dump(), "application/json");
  ASSERT_TRUE(greeted);
  ASSERT_EQ(greeted->status, 200) << greeted->body;
  const json answer = json::parse(greeted->body);
  EXPECT_EQ(answer["result"], (json{{"greeting", "Hello HotMem!"}}));
  EXPECT_TRUE(answer["cold_start"].get<bool>());
  const std::string greeted_id = answer.value("activation_id", "");
  EXPECT_EQ(greeted->get_header_value("X-Activation-Id"), greeted_id);

  const auto logs_began = Clock::now();
  auto logs = run_hotmem({"fn", "logs", "hello", "--url", daemon_->url(), "--last", "1"});
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_NE(logs.output.find("stdout: greeting HotMem"), std::string::npos) << logs.output;
  EXPECT_NE(logs.output.find("stderr: to stderr"), std::string::npos) << logs.output;
  const json greeted_record = get("/v1/activations/" + greeted_id);
  EXPECT_EQ(greeted_record.value("status", ""), "success") << greeted_record.dump();
  EXPECT_FALSE(greeted_record.value("logs_truncated", true)) << greeted_record.dump();
  EXPECT_EQ(greeted_record.value("instance", ""), answer.value("instance", "?"));

  // A flood of 10 MiB on stdout: the invocation is answered, its log is cut
  // at the daemon's limit (64 KiB) and says so, and the instance serves on.
  auto flooded = client().Post("/v1/functions/hello/invoke", json{{"flood", true}}.dump(), "application/json");
  ASSERT_TRUE(flooded);
  ASSERT_EQ(flooded->status, 200) << flooded->body.substr(0, 500);
  const json flood_answer = json::parse(flooded->body);
  EXPECT_FALSE(flood_answer["cold_start"].get<bool>());
  const json flood_record = get("/v1/activations/" + flood_answer.value("activation_id", ""));
  EXPECT_TRUE(flood_record.value("logs_truncated", false)) << flood_record.dump().substr(0, 500);
  ASSERT_TRUE(flood_record["logs"].is_array());
  EXPECT_LT(flood_record["logs"].size(), 100u);
  EXPECT_GT(flood_record["logs"].size(), 10u);
  EXPECT_NE(flood_record["logs"].back().get<std::string>().find("truncated"), std::string::npos);
  auto after_flood = client().Post("/v1/functions/hello/invoke", json{{"name", "again"}}.dump(), "application/json");
  ASSERT_TRUE(after_flood);
  ASSERT_EQ(after_flood->status, 200) << after_flood->body;
  const json after_answer = json::parse(after_flood->body);
  EXPECT_EQ(after_answer.value("instance", ""), answer.value("instance", "?")) << "the flooded instance went";
  const json after_record = get("/v1/activations/" + after_answer.value("activation_id", ""));
  EXPECT_FALSE(after_record.value("logs_truncated", true)) << after_record.dump().substr(0, 500);
  EXPECT_NE(after_record.dump().find("stdout: greeting again"), std::string::npos) << after_record.dump();
  EXPECT_EQ(after_record.dump().find("xxxxxxxx"), std::string::npos)
      << "what the flood wrote leaked into the next activation: " << after_record.dump().substr(0, 500);
  auto listed = run_hotmem({"fn", "activations", "hello", "--url", daemon_->url()});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(greeted_id), std::string::npos) << listed.output;
  std::printf("[ time ] activation logs, the flood and the invocation after it: %.1f s\n",
              to_seconds(Clock::now() - logs_began));

  auto encrypted = client().Post("/v1/functions/pyaes/invoke", json{{"message_length", 64}, {"num_iterations", 2}}.dump(),
                                 "application/json");
  ASSERT_TRUE(encrypted);
  ASSERT_EQ(encrypted->status, 200) << encrypted->body;
  EXPECT_TRUE(json::parse(encrypted->body)["result"].is_object()) << encrypted->body;

  // A broken action is a 502 that says why, and the function keeps serving.
  auto bad = client().Put("/v1/functions/broken",
                          json{{"runtime", "python"}, {"code", "def main(args):\n    return 1 / 0\n"},
                               {"concurrency", 1}}
                              .dump(),
                          "application/json");
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->status, 201) << bad->body;
  auto failed = client().Post("/v1/functions/broken/invoke", "{}", "application/json");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 502) << failed->body;
  EXPECT_NE(failed->body.find("division"), std::string::npos) << failed->body;
  // Its traceback is in its activation's log.
  const json failed_record = get("/v1/activations/" + failed->get_header_value("X-Activation-Id"));
  EXPECT_EQ(failed_record.value("status", ""), "application error") << failed_record.dump();
  EXPECT_NE(failed_record.dump().find("ZeroDivisionError"), std::string::npos) << failed_record.dump();
  auto again = client().Post("/v1/functions/hello/invoke", "{}", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_FALSE(json::parse(again->body)["cold_start"].get<bool>());
}

// The function's committed memory in the budget (GET /v1/memory; 0 when it
// has no account).
std::uint64_t committed_of(const json& memory, const std::string& function) {
  return memory["functions"].value(function, std::uint64_t{0});
}

// QEMU killed during an invocation: that invocation fails at once saying
// why (it may have run: it is not run again); one made right after waits
// while the VM is booted again and is served by the new VM; the failed
// VM's instance memory goes back to the budget at once while its idle
// commitment stays, so the budget shows what a fresh deploy shows; nothing
// of the old VM is left (process, run directory). Then deletes race
// invocations.
TEST_F(Serve, AFunctionWhoseQemuDiesFailsItsInvocationAndRecoversOnANewVm) {
  const json spec{{"runtime", "native"}, {"memory_mib", 128}, {"concurrency", 1}, {"keep_alive_s", 60}};
  auto deployed = client().Put("/v1/functions/fragile", spec.dump(), "application/json");
  ASSERT_TRUE(deployed);
  ASSERT_EQ(deployed->status, 201) << deployed->body;
  const json before = get("/v1/functions/fragile");
  ASSERT_EQ(before["state"], "ready") << before.dump(2);
  ASSERT_EQ(before["vm"]["state"], "ready") << before.dump(2);
  const pid_t qemu = before["vm"]["pid"].get<pid_t>();
  const std::filesystem::path run_dir = before["vm"]["run_dir"].get<std::string>();
  ASSERT_TRUE(std::filesystem::exists(run_dir)) << run_dir;
  const std::uint64_t committed_idle = committed_of(get("/v1/memory"), "fragile");
  ASSERT_GT(committed_idle, 0u);

  auto long_call = std::async(std::launch::async, [this] {
    auto r = client().Post("/v1/functions/fragile/invoke", json{{"mib", 16}, {"ms", 60000}}.dump(), "application/json");
    return r ? std::pair{r->status, r->body} : std::pair{0, std::string()};
  });
  json busy;
  for (int i = 0; i < 300; ++i) {
    busy = get("/v1/functions/fragile");
    if (!busy["instances"].empty() && busy["instances"][0]["state"] == "busy") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(busy["instances"][0]["state"], "busy") << busy.dump(2);
  const std::uint64_t committed_busy = committed_of(get("/v1/memory"), "fragile");
  EXPECT_GT(committed_busy, committed_idle);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the action is running in the guest
  const auto killed_at = Clock::now();
  ASSERT_EQ(::kill(qemu, SIGKILL), 0);
  auto next_call = std::async(std::launch::async, [this] {
    auto r = client().Post("/v1/functions/fragile/invoke", json{{"mib", 16}, {"echo", "after"}}.dump(),
                           "application/json");
    return r ? std::pair{r->status, r->body} : std::pair{0, std::string()};
  });

  ASSERT_EQ(long_call.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "the invocation did not notice QEMU's death";
  EXPECT_LT(Clock::now() - killed_at, std::chrono::seconds(30));
  auto [status, body] = long_call.get();
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("function VM failed"), std::string::npos) << body;
  EXPECT_NE(body.find("signal 9"), std::string::npos) << body;
  EXPECT_NE(body.find("being booted again"), std::string::npos) << body;

  // While the VM is booted again: the failed VM's view, its instance gone,
  // only its idle commitment in the budget, the next call waiting.
  json recovering;
  bool seen_recovering = false;
  while (next_call.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    const json now = get("/v1/functions/fragile");
    if (now["state"] != "recovering") continue;
    if (!seen_recovering) {
      seen_recovering = true;
      recovering = now;
      EXPECT_EQ(committed_of(get("/v1/memory"), "fragile"), committed_idle);
    }
  }
  ASSERT_TRUE(seen_recovering) << "the state never showed recovering";
  EXPECT_EQ(recovering["vm"]["state"], "failed") << recovering.dump(2);
  EXPECT_FALSE(recovering["vm"]["alive"].get<bool>());
  EXPECT_TRUE(recovering["instances"].empty()) << recovering.dump(2);
  ASSERT_EQ(recovering["recovery"]["failures"].size(), 1u) << recovering.dump(2);
  EXPECT_NE(recovering["recovery"]["failures"][0]["reason"].get<std::string>().find("signal 9"), std::string::npos);
  EXPECT_TRUE(recovering["recovery"]["failures"][0].contains("at")) << recovering.dump(2);
  EXPECT_TRUE(process_gone(qemu, std::chrono::seconds(5)));

  auto [next_status, next_body] = next_call.get();
  ASSERT_EQ(next_status, 200) << next_body;
  const json answered = json::parse(next_body);
  EXPECT_EQ(answered["result"]["echo"], "after");
  EXPECT_TRUE(answered["cold_start"].get<bool>());
  const json renewed = get("/v1/functions/fragile");
  EXPECT_EQ(renewed["state"], "ready") << renewed.dump(2);
  EXPECT_EQ(renewed["vm"]["state"], "ready") << renewed.dump(2);
  const pid_t renewed_qemu = renewed["vm"]["pid"].get<pid_t>();
  EXPECT_NE(renewed_qemu, qemu);
  EXPECT_EQ(renewed["recovery"]["recoveries"], 1) << renewed.dump(2);
  EXPECT_EQ(renewed["recovery"]["attempts"], 0) << renewed.dump(2);
  EXPECT_EQ(metrics().counter(serve::kVmFailures, "fragile"), 1);
  EXPECT_EQ(metrics().counter(serve::kVmRecoveries, "fragile"), 1);
  // One idle instance on the new VM: what the first VM committed with one.
  EXPECT_EQ(committed_of(get("/v1/memory"), "fragile"), committed_busy);
  EXPECT_FALSE(std::filesystem::exists(run_dir)) << run_dir << " outlived its VM";
  EXPECT_EQ(get("/v1/functions")["functions"][0]["state"], "ready");

  // Deletes racing each other and invocations: one delete wins, the others
  // hear the function is gone; every invocation is answered or fails with
  // an error, none hangs; QEMU ends.
  std::vector<std::future<int>> invocations;
  for (int i = 0; i < 4; ++i) {
    invocations.push_back(std::async(std::launch::async, [this] {
      auto r = client().Post("/v1/functions/fragile/invoke", json{{"mib", 8}, {"ms", 2000}}.dump(),
                             "application/json");
      return r ? r->status : 0;
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::vector<std::future<int>> deletes;
  for (int i = 0; i < 6; ++i) {
    deletes.push_back(std::async(std::launch::async, [this] {
      auto r = client().Delete("/v1/functions/fragile");
      return r ? r->status : 0;
    }));
  }
  int deleted = 0, gone = 0;
  for (auto& d : deletes) {
    const int code = d.get();
    deleted += code == 200;
    gone += code == 404;
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(gone, 5);
  for (auto& call : invocations) {
    ASSERT_EQ(call.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "an invocation hung";
    const int code = call.get();
    EXPECT_TRUE(code == 200 || code == 503 || code == 404) << code;
  }
  EXPECT_TRUE(process_gone(renewed_qemu, std::chrono::seconds(10)));
  EXPECT_EQ(get("/v1/functions")["functions"], json::array());
  EXPECT_EQ(committed_of(get("/v1/memory"), "fragile"), 0u);
}

// A VM that keeps failing (it died, then its reboots fail: its guest image
// is gone) is crash-looping after the shortened policy's 3rd failure: an
// invocation that waited for the reboot fails with the reasons, so do later
// ones, its memory goes back to the budget, and a PUT deploys it anew.
TEST_F(Serve, AFunctionWhoseVmKeepsFailingIsCrashLoopingUntilAPutDeploysItAgain) {
  auto images = TempDir::create("/tmp", "e2e-serve-image-");
  ASSERT_TRUE(images) << images.error().message();
  const std::filesystem::path image = images->path() / "image";
  std::filesystem::create_directory_symlink(std::filesystem::absolute(image::default_image_dir()), image);
  DaemonOptions options;
  options.image_dir = image;
  options.recovery = {.backoff_first = std::chrono::seconds(2),
                      .backoff_max = std::chrono::seconds(4),
                      .crash_loop_failures = 3,
                      .crash_loop_window = std::chrono::minutes(10)};
  daemon_ = std::make_unique<InProcessDaemon>("e2e-serve", std::move(options));
  ASSERT_TRUE(daemon_->start());

  const json spec{{"runtime", "native"}, {"memory_mib", 128}, {"concurrency", 1}, {"keep_alive_s", 60}};
  auto deployed = client().Put("/v1/functions/looping", spec.dump(), "application/json");
  ASSERT_TRUE(deployed);
  ASSERT_EQ(deployed->status, 201) << deployed->body;
  const json before = get("/v1/functions/looping");
  const pid_t qemu = before["vm"]["pid"].get<pid_t>();
  const std::filesystem::path run_dir = before["vm"]["run_dir"].get<std::string>();

  std::filesystem::remove(image);  // no VM boots from here on
  ASSERT_EQ(::kill(qemu, SIGKILL), 0);
  // Failures at 0 s (QEMU), 2 s and 6 s (reboots): an invocation made while
  // it recovers waits, and hears why when it stops.
  auto recovering = poll_until([this]() -> Result<bool> { return get("/v1/functions/looping")["state"] == "recovering"; },
                               std::chrono::seconds(2), [] { return std::string("the VM to recover"); });
  ASSERT_TRUE(recovering) << recovering.error().message();
  auto waiting = std::async(std::launch::async, [this] {
    auto r = client().Post("/v1/functions/looping/invoke", "{}", "application/json");
    return r ? std::pair{r->status, r->body} : std::pair{0, std::string()};
  });
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "the waiting invocation outlived the crash loop";
  auto [status, body] = waiting.get();
  EXPECT_EQ(status, 503) << body;
  EXPECT_NE(body.find("function VM failed"), std::string::npos) << body;
  EXPECT_NE(body.find("crash-looping"), std::string::npos) << body;
  EXPECT_NE(body.find("signal 9"), std::string::npos) << body;

  const json looping = get("/v1/functions/looping");
  ASSERT_EQ(looping["state"], "crash-looping") << looping.dump(2);
  const json failures = looping["recovery"]["failures"];
  ASSERT_EQ(failures.size(), 3u) << looping.dump(2);
  EXPECT_NE(failures[0]["reason"].get<std::string>().find("signal 9"), std::string::npos) << failures.dump(2);
  EXPECT_NE(failures[2]["reason"].get<std::string>().find("did not boot again"), std::string::npos)
      << failures.dump(2);
  EXPECT_EQ(looping["recovery"]["attempts"], 2) << looping.dump(2);
  EXPECT_EQ(get("/v1/functions")["functions"][0]["state"], "crash-looping");
  EXPECT_EQ(committed_of(get("/v1/memory"), "looping"), 0u);
  EXPECT_EQ(metrics().counter(serve::kVmFailures, "looping"), 1);
  EXPECT_EQ(metrics().counter(serve::kVmRecoveries, "looping"), 0);
  auto refused = client().Post("/v1/functions/looping/invoke", "{}", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_NE(refused->body.find("crash-looping"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("signal 9"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("did not boot again"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("deploy the function again"), std::string::npos) << refused->body;

  // PUT over it deploys it anew; the old VM's files go.
  std::filesystem::create_directory_symlink(std::filesystem::absolute(image::default_image_dir()), image);
  auto again = client().Put("/v1/functions/looping", spec.dump(), "application/json");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 201) << again->body;
  EXPECT_FALSE(std::filesystem::exists(run_dir)) << run_dir << " outlived its VM";
  const json renewed = get("/v1/functions/looping");
  EXPECT_EQ(renewed["state"], "ready") << renewed.dump(2);
  EXPECT_TRUE(renewed["recovery"]["failures"].empty()) << renewed.dump(2);
  auto answered = client().Post("/v1/functions/looping/invoke", json{{"mib", 16}}.dump(), "application/json");
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200) << answered->body;

  // A reboot under way when the function is deleted is abandoned: DELETE
  // does not wait for the boot, and no QEMU of the function is left.
  ASSERT_EQ(::kill(renewed["vm"]["pid"].get<pid_t>(), SIGKILL), 0);
  auto run_dirs = host::run_dirs_root();
  ASSERT_TRUE(run_dirs) << run_dirs.error().message();
  const std::string its_qemu = (*run_dirs / "looping-").string();  // its run directory, in QEMU's command line
  auto booting = poll_until(
      [this, &its_qemu]() -> Result<bool> {
        return get("/v1/functions/looping")["recovery"]["attempts"] == 1 && !processes_matching(its_qemu).empty();
      },
      std::chrono::seconds(20), [] { return std::string("the reboot's QEMU to start"); });
  ASSERT_TRUE(booting) << booting.error().message();
  const auto deleting = Clock::now();
  auto removed = client().Delete("/v1/functions/looping");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  EXPECT_LT(Clock::now() - deleting, std::chrono::seconds(5)) << "DELETE waited for the boot";
  EXPECT_EQ(processes_matching(its_qemu), std::vector<pid_t>()) << "the abandoned reboot's QEMU outlived DELETE";
  EXPECT_EQ(committed_of(get("/v1/memory"), "looping"), 0u);
}

}  // namespace
}  // namespace hotmem::e2e

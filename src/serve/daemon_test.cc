// serve::Daemon without booting anything: it serves once started, a token
// set before start is required, and it stops in order, once.
#include "serve/daemon.h"

#include <httplib.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

// GET `path`, again for up to a second while the API's thread starts listening.
httplib::Result get_once_up(httplib::Client& client, const std::string& path) {
  httplib::Result r = client.Get(path);
  for (int i = 0; i < 100 && !r; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r = client.Get(path);
  }
  return r;
}

DaemonConfig no_vm_config() {
  DaemonConfig config;
  config.vm.image_dir = "/nonexistent/hotmem-image";  // deployments fail fast
  return config;
}

TEST(Daemon, ServesOnceStartedAndStopsOnce) {
  Daemon daemon(no_vm_config());
  ASSERT_TRUE(daemon.start("127.0.0.1", 0));
  ASSERT_GT(daemon.port(), 0);
  httplib::Client client("127.0.0.1", daemon.port());
  client.set_read_timeout(10, 0);
  httplib::Result listed = get_once_up(client, "/v1/functions");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 200);
  EXPECT_EQ(json::parse(listed->body)["functions"], json::array());
  EXPECT_EQ(daemon.registry().list().size(), 0u);
  EXPECT_TRUE(daemon.stop());
  EXPECT_TRUE(daemon.stop()) << "a second stop is no error";
  EXPECT_FALSE(client.Get("/v1/functions")) << "the API still answers after stop";
  // Stopped, the registry refuses deploys.
  FunctionSpec spec;
  spec.name = "late";
  EXPECT_FALSE(daemon.registry().deploy(spec));
}

TEST(Daemon, ATokenGivenBeforeStartIsRequired) {
  Daemon daemon(no_vm_config());
  daemon.require_token("s3cret-token");
  ASSERT_TRUE(daemon.start("127.0.0.1", 0));
  httplib::Client client("127.0.0.1", daemon.port());
  httplib::Result bare = get_once_up(client, "/v1/functions");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 401);
  client.set_bearer_token_auth("s3cret-token");
  auto authorized = client.Get("/v1/functions");
  ASSERT_TRUE(authorized);
  EXPECT_EQ(authorized->status, 200);
}

std::size_t threads_of_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// The OpenWhisk API's background invoker and the API's threads end with the
// daemon's stop: none is left.
TEST(Daemon, LeavesNoThreadOnceStopped) {
  // A sanitizer's runtime starts a thread of its own with the process's
  // first one (TSan's background thread): have it start before counting.
  std::thread([] {}).join();
  const std::size_t before = threads_of_this_process();
  {
    DaemonConfig config = no_vm_config();
    config.openwhisk.workers = 3;
    Daemon daemon(std::move(config));
    ASSERT_TRUE(daemon.start("127.0.0.1", 0));
    httplib::Client client("127.0.0.1", daemon.port());
    ASSERT_TRUE(get_once_up(client, "/v1/functions"));
    EXPECT_GE(threads_of_this_process(), before + 3);
    EXPECT_TRUE(daemon.stop());
  }
  EXPECT_EQ(threads_of_this_process(), before);
}

TEST(Daemon, AStopBeforeStartIsNoError) {
  Daemon daemon(no_vm_config());
  EXPECT_TRUE(daemon.stop());
}

}  // namespace
}  // namespace hotmem::serve

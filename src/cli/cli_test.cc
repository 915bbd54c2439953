// The CLI's answers to bad input, run as a user would run the binary: a
// non-zero exit and a message that says what to do; no stack trace, no hang.
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>

#include "common/proc_stats.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::cli {
namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

Run hotmem(std::vector<std::string> args) {
  auto dir = TempDir::create("/tmp", "hotmem-cli-test-");
  EXPECT_TRUE(dir);
  SpawnOptions options;
  options.argv = {HOTMEM_BINARY};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.output = dir->path() / "out";
  auto child = ChildProcess::spawn(options);
  EXPECT_TRUE(child) << child.error().message();
  auto status = child->wait_for(std::chrono::seconds(20));
  EXPECT_TRUE(status) << "hotmem hung: " << status.error().message();
  Run run;
  run.output = tail_of_file(options.output, 1 << 16);
  if (status) run.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  return run;
}

void expect_clean_failure(const Run& run, const std::string& needle) {
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_LT(run.exit_code, 128) << "crashed: " << run.output;
  EXPECT_NE(run.output.find(needle), std::string::npos) << "message lacks '" << needle << "':\n" << run.output;
  EXPECT_EQ(run.output.find("terminate called"), std::string::npos) << run.output;
}

TEST(CliBadInput, MalformedMemorySizeSaysHowToWriteOne) {
  expect_clean_failure(hotmem({"demo", "--memory", "banana"}), "invalid size 'banana'");
  expect_clean_failure(hotmem({"vm", "start", "x", "--memory", "1.5G"}), "write e.g. 512M");
}

TEST(CliBadInput, PlugAboveTheDeviceMaximumIsRefusedBeforeBooting) {
  expect_clean_failure(hotmem({"demo", "--plug", "4G", "--hotplug-max", "2G"}), "exceeds --hotplug-max");
}

TEST(CliBadInput, DeviceMaximumMustBeWholeMemoryBlocks) {
  expect_clean_failure(hotmem({"demo", "--hotplug-max", "100M"}), "multiple of 128M");
}

TEST(CliBadInput, MissingGuestImageSaysHowToBuildOne) {
  expect_clean_failure(hotmem({"demo", "--image", "/nonexistent/hotmem-image"}), "./scripts/setup");
  expect_clean_failure(hotmem({"vm", "start", "noimage", "--image", "/nonexistent/hotmem-image"}),
                       "./scripts/setup");
}

TEST(CliBadInput, BadVmNameIsRejected) {
  expect_clean_failure(hotmem({"vm", "status", "../etc"}), "invalid VM name");
}

TEST(CliBadInput, UnknownVmSaysHowToStartOne) {
  expect_clean_failure(hotmem({"vm", "status", "no-such-vm-here"}), "hotmem vm start");
}

TEST(CliBadInput, UnknownOptionAndMissingSubcommand) {
  expect_clean_failure(hotmem({"demo", "--frobnicate"}), "frobnicate");
  expect_clean_failure(hotmem({}), "subcommand");
}

TEST(CliBadInput, ImageBuildWithoutKernelSaysWhatIsMissing) {
  expect_clean_failure(hotmem({"image", "build", "--kernel-dir", "/nonexistent", "--agent", "/bin/true", "--out",
                               "/tmp/hotmem-never"}),
                       "no boot/vmlinuz");
}

TEST(CliBadInput, ServeOnAnOpenAddressWithoutATokenIsRefused) {
  for (const char* host : {"0.0.0.0", "::", "192.0.2.1"}) {
    const auto run = hotmem({"serve", "--host", host, "--port", "0"});
    expect_clean_failure(run, "is not a loopback address");
    EXPECT_NE(run.output.find("--token-file"), std::string::npos) << run.output;
  }
}

TEST(CliBadInput, ServeRefusesATokenFileOthersCanReadOrThatHoldsNoToken) {
  auto dir = host::scratch_dir("cli-token");
  ASSERT_TRUE(dir) << dir.error().message();
  const std::filesystem::path token = dir->path() / "token";
  std::ofstream(token) << "s3cret\n";
  ::chmod(token.c_str(), 0644);
  expect_clean_failure(hotmem({"serve", "--host", "0.0.0.0", "--token-file", token.string()}), "chmod 600");
  std::ofstream(token, std::ios::trunc) << "\n";
  ::chmod(token.c_str(), 0600);
  expect_clean_failure(hotmem({"serve", "--host", "0.0.0.0", "--token-file", token.string()}), "no token");
  expect_clean_failure(hotmem({"serve", "--token-file", (dir->path() / "missing").string()}), "missing");
}

}  // namespace
}  // namespace hotmem::cli

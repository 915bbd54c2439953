// Installed or in the build tree: decided from where the executable is.
#include "common/install_layout.h"

#include <gtest/gtest.h>

#include "host/testing/scratch_dir.h"

namespace hotmem {
namespace {

namespace fs = std::filesystem;

using InstallLayoutTest = host::ScratchDirTest;

TEST_F(InstallLayoutTest, AnExecutableInPrefixBinWithShareHotmemBesideItIsInstalled) {
  fs::create_directories(dir() / "usr/bin");
  fs::create_directories(dir() / "usr/share/hotmem");
  EXPECT_EQ(install_prefix_of(dir() / "usr/bin/hotmem"), dir() / "usr");
}

TEST_F(InstallLayoutTest, AnExecutableAnywhereElseRunsFromTheBuildTree) {
  fs::create_directories(dir() / "build/src");
  fs::create_directories(dir() / "build/share/hotmem");
  EXPECT_EQ(install_prefix_of(dir() / "build/src/hotmem"), std::nullopt) << "not in a bin/ directory";
  fs::create_directories(dir() / "opt/bin");
  EXPECT_EQ(install_prefix_of(dir() / "opt/bin/hotmem"), std::nullopt) << "no share/hotmem beside bin/";
}

TEST(InstallLayout, TheUnitTestsRunFromTheBuildTreeAndUseItsFiles) {
  EXPECT_EQ(install_prefix(), std::nullopt);
  EXPECT_TRUE(fs::is_regular_file(agent_binary())) << agent_binary();
  EXPECT_TRUE(fs::is_regular_file(workload_data_dir() / "functionbench_catalog.json")) << workload_data_dir();
  EXPECT_TRUE(fs::is_regular_file(python_functions_dir() / "pyaes.py")) << python_functions_dir();
}

}  // namespace
}  // namespace hotmem

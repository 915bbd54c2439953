#include "image/module_deps.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hotmem::image {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;
using testing::UnorderedElementsAre;

// modules.dep as depmod writes it (abridged): "<module>: <its dependencies>".
constexpr const char* kModulesDep =
    "kernel/drivers/virtio/virtio_mem.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko "
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko "
    "kernel/net/vmw_vsock/vsock.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko: kernel/net/vmw_vsock/vsock.ko\n"
    "kernel/net/vmw_vsock/vsock.ko:\n"
    "\n"
    "kernel/drivers/block/nbd-extra.ko: kernel/drivers/misc/helper-lib.ko\n"
    "kernel/drivers/misc/helper-lib.ko:\n";

ModuleDeps parse(std::string_view dep, std::string_view builtin = "") {
  auto deps = ModuleDeps::parse(dep, builtin);
  EXPECT_TRUE(deps.ok()) << deps.error().message();
  return deps.ok() ? std::move(*deps) : ModuleDeps();
}

std::vector<std::string> order(const ModuleDeps& deps, const std::vector<std::string>& wanted) {
  auto o = deps.load_order(wanted);
  EXPECT_TRUE(o.ok()) << o.error().message();
  return o.ok() ? *o : std::vector<std::string>{};
}

std::ptrdiff_t index_of(const std::vector<std::string>& v, const std::string& item) {
  auto it = std::find(v.begin(), v.end(), item);
  EXPECT_NE(it, v.end()) << item << " missing";
  return it - v.begin();
}

TEST(ModuleName, StripsDirectoryAndExtension) {
  EXPECT_EQ(module_name("kernel/drivers/virtio/virtio_mem.ko"), "virtio_mem");
  EXPECT_EQ(module_name("virtio_mem.ko"), "virtio_mem");
  EXPECT_EQ(module_name("virtio_mem"), "virtio_mem");
  EXPECT_EQ(module_name("kernel/fs/fuse/fuse.ko.xz"), "fuse");
}

TEST(ModuleName, DashesBecomeUnderscores) {
  EXPECT_EQ(module_name("kernel/drivers/block/nbd-extra.ko"), "nbd_extra");
  EXPECT_EQ(module_name("virtio-mem"), "virtio_mem");
}

TEST(ModuleDeps, DependenciesComeFirst) {
  const ModuleDeps deps = parse(kModulesDep);
  EXPECT_THAT(order(deps, {"virtio_mem"}),
              ElementsAre("kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                          "kernel/drivers/virtio/virtio_mem.ko"));
}

TEST(ModuleDeps, EveryModuleAfterAllItNeeds) {
  const ModuleDeps deps = parse(kModulesDep);
  const auto o = order(deps, {"vmw_vsock_virtio_transport", "virtio_pci"});
  EXPECT_THAT(o, UnorderedElementsAre("kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko",
                                      "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko",
                                      "kernel/net/vmw_vsock/vsock.ko", "kernel/drivers/virtio/virtio.ko",
                                      "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio_pci.ko",
                                      "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
                                      "kernel/drivers/virtio/virtio_pci_legacy_dev.ko"));
  EXPECT_LT(index_of(o, "kernel/net/vmw_vsock/vsock.ko"),
            index_of(o, "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko"));
  EXPECT_LT(index_of(o, "kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko"),
            index_of(o, "kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko"));
  EXPECT_LT(index_of(o, "kernel/drivers/virtio/virtio_ring.ko"), index_of(o, "kernel/drivers/virtio/virtio.ko"));
  EXPECT_LT(index_of(o, "kernel/drivers/virtio/virtio.ko"), index_of(o, "kernel/drivers/virtio/virtio_pci.ko"));
  EXPECT_LT(index_of(o, "kernel/drivers/virtio/virtio_pci_modern_dev.ko"),
            index_of(o, "kernel/drivers/virtio/virtio_pci.ko"));
}

TEST(ModuleDeps, SharedDependenciesAreLoadedOnce) {
  const ModuleDeps deps = parse(kModulesDep);
  const auto o = order(deps, {"virtio_mem", "virtio_console", "virtio_mem", "virtio"});
  EXPECT_THAT(o, ElementsAre("kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                             "kernel/drivers/virtio/virtio_mem.ko", "kernel/drivers/char/virtio_console.ko"));
}

TEST(ModuleDeps, IndependentModulesKeepTheRequestedOrder) {
  const ModuleDeps deps = parse(kModulesDep);
  EXPECT_THAT(order(deps, {"virtio_pci_legacy_dev", "vsock", "virtio_pci_modern_dev"}),
              ElementsAre("kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/net/vmw_vsock/vsock.ko",
                          "kernel/drivers/virtio/virtio_pci_modern_dev.ko"));
}

TEST(ModuleDeps, NothingWantedLoadsNothing) {
  const ModuleDeps deps = parse(kModulesDep);
  EXPECT_TRUE(order(deps, {}).empty());
}

TEST(ModuleDeps, BuiltinModulesAreSkipped) {
  const ModuleDeps deps =
      parse(kModulesDep, "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n");
  EXPECT_THAT(order(deps, {"virtio_mem"}), ElementsAre("kernel/drivers/virtio/virtio_mem.ko"));
  EXPECT_TRUE(order(deps, {"virtio"}).empty());
}

TEST(ModuleDeps, BuiltinModuleAbsentFromModulesDepIsNotAnError) {
  const ModuleDeps deps = parse(kModulesDep, "kernel/drivers/virtio/virtio_balloon.ko\n");
  EXPECT_TRUE(order(deps, {"virtio_balloon"}).empty());
}

TEST(ModuleDeps, UnknownModuleIsAnErrorNamingIt) {
  const ModuleDeps deps = parse(kModulesDep);
  auto o = deps.load_order({"virtio_mem", "virtio_gpu"});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message(), HasSubstr("'virtio_gpu'"));
}

TEST(ModuleDeps, UnknownDependencyIsAnError) {
  const ModuleDeps deps = parse("kernel/a.ko: kernel/missing.ko\n");
  auto o = deps.load_order({"a"});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message(), HasSubstr("'missing'"));
}

TEST(ModuleDeps, DashesAndUnderscoresAreTheSameName) {
  const ModuleDeps deps = parse(kModulesDep);
  EXPECT_THAT(order(deps, {"nbd_extra"}),
              ElementsAre("kernel/drivers/misc/helper-lib.ko", "kernel/drivers/block/nbd-extra.ko"));
  EXPECT_THAT(order(deps, {"nbd-extra"}),
              ElementsAre("kernel/drivers/misc/helper-lib.ko", "kernel/drivers/block/nbd-extra.ko"));
  EXPECT_THAT(order(deps, {"virtio-mem"}), ElementsAre("kernel/drivers/virtio/virtio_ring.ko",
                                                       "kernel/drivers/virtio/virtio.ko",
                                                       "kernel/drivers/virtio/virtio_mem.ko"));
  const ModuleDeps builtin = parse(kModulesDep, "kernel/drivers/misc/helper_lib.ko\n");
  EXPECT_THAT(order(builtin, {"nbd-extra"}), ElementsAre("kernel/drivers/block/nbd-extra.ko"));
}

TEST(ModuleDeps, CycleIsDetected) {
  const ModuleDeps deps = parse("kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/c.ko\nkernel/c.ko: kernel/a.ko\n");
  auto o = deps.load_order({"a"});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.error().message(), HasSubstr("depends on itself"));
}

TEST(ModuleDeps, SelfDependencyIsDetected) {
  const ModuleDeps deps = parse("kernel/a.ko: kernel/a.ko\n");
  EXPECT_FALSE(deps.load_order({"a"}).ok());
}

TEST(ModuleDeps, DiamondIsNotACycle) {
  const ModuleDeps deps =
      parse("kernel/top.ko: kernel/left.ko kernel/right.ko\nkernel/left.ko: kernel/base.ko\n"
            "kernel/right.ko: kernel/base.ko\nkernel/base.ko:\n");
  EXPECT_THAT(order(deps, {"top"}), ElementsAre("kernel/base.ko", "kernel/left.ko", "kernel/right.ko", "kernel/top.ko"));
}

TEST(ModuleDeps, LineWithoutColonIsAParseError) {
  auto deps = ModuleDeps::parse("kernel/a.ko:\nkernel/b.ko kernel/a.ko\n", "");
  ASSERT_FALSE(deps.ok());
  EXPECT_THAT(deps.error().message(), HasSubstr("line 2"));
}

}  // namespace
}  // namespace hotmem::image

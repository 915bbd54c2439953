#include "image/kernel_cmdline.h"

#include <gtest/gtest.h>

namespace hotmem::image {
namespace {

TEST(KernelCmdline, EmptyRendersEmpty) {
  EXPECT_EQ(KernelCmdline().render(), "");
  EXPECT_EQ(KernelCmdline::parse("   ").render(), "");
}

TEST(KernelCmdline, ParseAndRenderKeepWordsInOrder) {
  EXPECT_EQ(KernelCmdline::parse("console=ttyS0 quiet root=/dev/vda panic=-1").render(),
            "console=ttyS0 quiet root=/dev/vda panic=-1");
}

TEST(KernelCmdline, ParseNormalisesWhitespace) {
  EXPECT_EQ(KernelCmdline::parse("  console=ttyS0 \t quiet\n\nloglevel=4 ").render(), "console=ttyS0 quiet loglevel=4");
}

TEST(KernelCmdline, GetReadsValuesAndBareKeys) {
  const KernelCmdline c = KernelCmdline::parse("console=ttyS0 quiet empty=");
  EXPECT_EQ(c.get("console"), "ttyS0");
  EXPECT_EQ(c.get("quiet"), "");
  EXPECT_EQ(c.get("empty"), "");
  EXPECT_EQ(c.get("missing"), std::nullopt);
  EXPECT_TRUE(c.has("quiet"));
  EXPECT_TRUE(c.has("console"));
  EXPECT_FALSE(c.has("console=ttyS0"));
  EXPECT_FALSE(c.has("missing"));
}

TEST(KernelCmdline, SplitsAtTheFirstEqualsSign) {
  const KernelCmdline c = KernelCmdline::parse("dyndbg=file=virtio_mem.c +p");
  EXPECT_EQ(c.get("dyndbg"), "file=virtio_mem.c");
  EXPECT_EQ(c.render(), "dyndbg=file=virtio_mem.c +p");
}

TEST(KernelCmdline, EmptyValueAndBareKeyRenderDifferently) {
  EXPECT_EQ(KernelCmdline::parse("key= flag").render(), "key= flag");
}

TEST(KernelCmdline, SetReplacesInPlace) {
  KernelCmdline c = KernelCmdline::parse("a=1 b=2 c=3");
  c.set("b", "20");
  EXPECT_EQ(c.render(), "a=1 b=20 c=3");
  c.set("a", std::nullopt);
  EXPECT_EQ(c.render(), "a b=20 c=3");
}

TEST(KernelCmdline, SetAppendsANewKey) {
  KernelCmdline c = KernelCmdline::parse("a=1");
  c.set("d", "4");
  c.set("quiet", std::nullopt);
  EXPECT_EQ(c.render(), "a=1 d=4 quiet");
}

TEST(KernelCmdline, LaterWordOfTheSameKeyWins) {
  const KernelCmdline c = KernelCmdline::parse("loglevel=4 quiet loglevel=7");
  EXPECT_EQ(c.get("loglevel"), "7");
  EXPECT_EQ(c.render(), "loglevel=7 quiet");
}

TEST(KernelCmdline, MergeOverridesAndAppends) {
  KernelCmdline c = KernelCmdline::parse("console=ttyS0 init_on_alloc=0 quiet");
  c.merge("init_on_alloc=1 debug");
  EXPECT_EQ(c.render(), "console=ttyS0 init_on_alloc=1 quiet debug");
}

TEST(KernelCmdline, MergeCanTurnABareKeyIntoAValueAndBack) {
  KernelCmdline c = KernelCmdline::parse("quiet");
  c.merge("quiet=1");
  EXPECT_EQ(c.render(), "quiet=1");
  c.merge("quiet");
  EXPECT_EQ(c.render(), "quiet");
}

TEST(DefaultCmdline, HotplugsMemoryMovableAndSkipsZeroing) {
  const KernelCmdline c = default_cmdline();
  EXPECT_EQ(c.get("memhp_default_state"), "online_movable");
  EXPECT_EQ(c.get("init_on_alloc"), "0");
  EXPECT_EQ(c.get("console"), "ttyS0");
  EXPECT_EQ(c.get("numa_balancing"), "disable");
  EXPECT_EQ(c.get("hotmem.thp"), "always");
  EXPECT_EQ(c.get("swiotlb"), "noforce");
  const std::string rendered = c.render();
  EXPECT_NE(rendered.find("memhp_default_state=online_movable"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("init_on_alloc=0"), std::string::npos) << rendered;
}

TEST(DefaultCmdline, UserOverrideReplacesTheDefault) {
  KernelCmdline c = default_cmdline();
  c.merge("init_on_alloc=1 loglevel=8");
  EXPECT_EQ(c.get("init_on_alloc"), "1");
  EXPECT_EQ(c.get("loglevel"), "8");
  const std::string rendered = c.render();
  EXPECT_EQ(rendered.find("init_on_alloc=0"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("loglevel=4"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("memhp_default_state=online_movable"), std::string::npos) << rendered;
}

TEST(DefaultCmdline, RendersToWhatItParsesFrom) {
  const std::string rendered = default_cmdline().render();
  EXPECT_EQ(KernelCmdline::parse(rendered).render(), rendered);
}

}  // namespace
}  // namespace hotmem::image

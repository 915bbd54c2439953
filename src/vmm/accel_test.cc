#include "vmm/accel.h"

#include <gtest/gtest.h>

namespace hotmem::vmm {
namespace {

// Abridged /proc/cpuinfo of one CPU; `flags` is that CPU's flags line.
std::string cpu(int n, const std::string& flags) {
  return "processor\t: " + std::to_string(n) +
         "\n"
         "vendor_id\t: GenuineIntel\n"
         "model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n"
         "flags\t\t: " +
         flags +
         "\n"
         "bugs\t\t: spectre_v1 spectre_v2\n"
         "\n";
}

constexpr const char* kCommonFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov sse sse2 ht";

TEST(CpuFlagsHaveVirtualization, IntelVmx) {
  EXPECT_TRUE(cpu_flags_have_virtualization(cpu(0, std::string(kCommonFlags) + " vmx est tm2 ssse3")));
}

TEST(CpuFlagsHaveVirtualization, AmdSvm) {
  EXPECT_TRUE(cpu_flags_have_virtualization(cpu(0, std::string(kCommonFlags) + " svm extapic cr8_legacy")));
}

TEST(CpuFlagsHaveVirtualization, FlagAtTheEndOfTheLineAndOfTheText) {
  EXPECT_TRUE(cpu_flags_have_virtualization("flags\t\t: fpu vmx"));
  EXPECT_TRUE(cpu_flags_have_virtualization("flags\t\t: svm\n"));
}

TEST(CpuFlagsHaveVirtualization, ParavirtualGuestWithoutVmxOrSvm) {
  const std::string flags = std::string(kCommonFlags) + " hypervisor lahf_lm abm 3dnowprefetch";
  EXPECT_FALSE(cpu_flags_have_virtualization(cpu(0, flags) + cpu(1, flags)));
}

TEST(CpuFlagsHaveVirtualization, FlagsThatOnlyContainVmxOrSvmDoNotCount) {
  EXPECT_FALSE(cpu_flags_have_virtualization(cpu(0, std::string(kCommonFlags) + " svm_lock vmx_ept npt_svm xsvm")));
}

TEST(CpuFlagsHaveVirtualization, OnlyTheFlagsLineCounts) {
  // Linux 5.8+ prints a separate "vmx flags" line; it lists VMX features,
  // not the vmx flag itself, and must not be mistaken for it.
  std::string text = cpu(0, kCommonFlags);
  text.insert(text.find("bugs"), "vmx flags\t: vnmi preemption_timer invvpid ept_x_only\n");
  EXPECT_FALSE(cpu_flags_have_virtualization(text));
  EXPECT_FALSE(cpu_flags_have_virtualization("model name\t: vmx svm\nflags\t\t: fpu\n"));
}

TEST(CpuFlagsHaveVirtualization, AnyCpuWithTheFlagCounts) {
  EXPECT_TRUE(cpu_flags_have_virtualization(cpu(0, kCommonFlags) + cpu(1, std::string(kCommonFlags) + " vmx")));
}

TEST(CpuFlagsHaveVirtualization, EmptyText) {
  EXPECT_FALSE(cpu_flags_have_virtualization(""));
  EXPECT_FALSE(cpu_flags_have_virtualization("\n\n"));
}

TEST(ResolveAccel, ExplicitChoiceIsKept) {
  EXPECT_EQ(resolve_accel(Accel::kKvm), Accel::kKvm);
  EXPECT_EQ(resolve_accel(Accel::kTcg), Accel::kTcg);
}

TEST(ResolveAccel, AutoResolvesToAConcreteAccelerator) {
  const Accel a = resolve_accel(Accel::kAuto);
  EXPECT_TRUE(a == Accel::kKvm || a == Accel::kTcg);
}

}  // namespace
}  // namespace hotmem::vmm

#include "common/proc_stats.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

namespace hotmem {
namespace {

// A stat line as the kernel writes it: utime 1234 and stime 56 are fields 14
// and 15; the command name holds spaces and parentheses.
constexpr std::string_view kStatLine =
    "4242 (qemu (x) a b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 5 0 777 1000000 2000 "
    "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(StatCpuTicks, IsUtimePlusStime) {
  auto ticks = stat_cpu_ticks(kStatLine);
  ASSERT_TRUE(ticks.ok()) << ticks.error().message();
  EXPECT_EQ(*ticks, 1234u + 56u);
}

TEST(StatCpuTicks, AMalformedLineIsAnErrorNamingTheField) {
  auto no_name = stat_cpu_ticks("4242 qemu S 1 2 3");
  ASSERT_FALSE(no_name.ok());
  EXPECT_NE(no_name.error().message().find("command name"), std::string::npos) << no_name.error().message();
  auto short_line = stat_cpu_ticks("4242 (qemu) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234");
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.error().message().find("field 15 (stime)"), std::string::npos) << short_line.error().message();
  auto not_a_count = stat_cpu_ticks("4242 (qemu) S 1 4242 4242 0 -1 4194560 1000 0 0 0 12x4 56");
  ASSERT_FALSE(not_a_count.ok());
  EXPECT_NE(not_a_count.error().message().find("field 14 (utime)"), std::string::npos) << not_a_count.error().message();
}

// The regression: a thread that burned CPU and ended between two readings
// still counts (a sum over /proc/PID/task/* lost it).
TEST(ThreadPreemptions, ReadsThisThreadsCountAndRefusesAThreadThatIsNot) {
  auto mine = thread_preemptions(::getpid(), ::gettid());
  ASSERT_TRUE(mine) << mine.error().message();
  auto later = thread_preemptions(::getpid(), ::gettid());
  ASSERT_TRUE(later);
  EXPECT_GE(*later, *mine);
  EXPECT_FALSE(thread_preemptions(::getpid(), -1));
}

TEST(ProcessCpuMs, CountsThreadsThatEndedBetweenTwoReadings) {
  auto before = process_cpu_ms(::getpid());
  ASSERT_TRUE(before.ok()) << before.error().message();
  std::thread([] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    volatile std::uint64_t spin = 0;
    while (std::chrono::steady_clock::now() < until) spin = spin + 1;
  }).join();
  auto after = process_cpu_ms(::getpid());
  ASSERT_TRUE(after.ok()) << after.error().message();
  // 300 ms of wall time on a busy 2-core host may get less than all of it.
  EXPECT_GE(*after - *before, 100.0) << "the ended thread's CPU time was lost";
}

TEST(ProcessCpuMs, OfNoProcessIsAnError) {
  auto none = process_cpu_ms(0);
  EXPECT_FALSE(none.ok());
}

}  // namespace
}  // namespace hotmem

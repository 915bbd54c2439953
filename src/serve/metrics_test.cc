#include "serve/metrics.h"

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

TEST(Metrics, CountersAndGaugesCarryTheFunctionLabel) {
  Metrics m;
  m.add(kPluggedBytes, "a", 1024);
  m.add(kPluggedBytes, "a", 1024);
  m.set_gauge(kQemuRss, "a", 5);
  const std::string text = m.render();
  EXPECT_NE(text.find("hotmem_plugged_bytes_total{function=\"a\"} 2048\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hotmem_qemu_rss_bytes{function=\"a\"} 5\n"), std::string::npos) << text;
  m.forget("a");
  EXPECT_EQ(m.render().find("hotmem_qemu_rss_bytes{"), std::string::npos);
  EXPECT_EQ(m.counter(kPluggedBytes, "a"), 2048);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics m;
  m.observe_reclaim("a", 0.02);
  m.observe_reclaim("a", 0.2);
  m.observe_reclaim("a", 100);
  const std::string text = m.render();
  EXPECT_NE(text.find("hotmem_reclaim_seconds_bucket{function=\"a\",le=\"0.025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hotmem_reclaim_seconds_bucket{function=\"a\",le=\"0.25\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hotmem_reclaim_seconds_bucket{function=\"a\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hotmem_reclaim_seconds_count{function=\"a\"} 3\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace hotmem::serve

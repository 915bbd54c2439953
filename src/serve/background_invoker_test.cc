// The background invoker: jobs run, waits are bounded, the queue is
// bounded, and stop() leaves no thread.
#include "serve/background_invoker.h"

#include <atomic>
#include <future>

#include <gtest/gtest.h>

namespace hotmem::serve {
namespace {

using std::chrono::milliseconds;

// Submits a job that holds its worker until `released`; returns once it runs.
Result<std::shared_ptr<BackgroundInvoker::Job>> occupy(BackgroundInvoker& invoker, std::shared_future<void> released) {
  auto started = std::make_shared<std::promise<void>>();
  auto job = invoker.submit([started, released] {
    started->set_value();
    released.wait();
  });
  if (job) started->get_future().wait();
  return job;
}

TEST(BackgroundInvoker, RunsAJobAndItsWaiterSeesIt) {
  BackgroundInvoker invoker(2, 4);
  std::atomic<int> ran = 0;
  auto job = invoker.submit([&] { ++ran; });
  ASSERT_TRUE(job);
  EXPECT_TRUE(invoker.wait_for(**job, std::chrono::seconds(10)));
  EXPECT_EQ(ran, 1);
}

TEST(BackgroundInvoker, AWaitEndsAtItsLimitAndTheQueueIsBounded) {
  BackgroundInvoker invoker(1, 1);
  std::promise<void> release;
  auto running = occupy(invoker, release.get_future().share());
  ASSERT_TRUE(running);
  EXPECT_FALSE(invoker.wait_for(**running, milliseconds(50)));
  // The worker is busy: one job waits, the next is refused.
  auto queued_job = invoker.submit([] {});
  ASSERT_TRUE(queued_job);
  std::shared_ptr<BackgroundInvoker::Job> queued = *queued_job;
  auto refused = invoker.submit([] {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kResourceExhausted);
  release.set_value();
  EXPECT_TRUE(invoker.wait_for(*queued, std::chrono::seconds(10)));
}

TEST(BackgroundInvoker, StopWakesWaitersDropsTheQueuedAndRefusesNewJobs) {
  BackgroundInvoker invoker(1, 8);
  std::promise<void> release;
  auto running = occupy(invoker, release.get_future().share());
  ASSERT_TRUE(running);
  auto queued = invoker.submit([] { FAIL() << "a dropped job ran"; });
  ASSERT_TRUE(queued);
  auto waiter = std::async(std::launch::async, [&] { return invoker.wait_for(**queued, std::chrono::seconds(30)); });
  invoker.close();
  EXPECT_FALSE(waiter.get());
  EXPECT_EQ(invoker.submit([] {}).error().code(), ErrorCode::kUnavailable);
  release.set_value();
  invoker.stop();  // joins the worker once its job ends
  EXPECT_TRUE(invoker.wait_for(**running, milliseconds(0)));
}

}  // namespace
}  // namespace hotmem::serve

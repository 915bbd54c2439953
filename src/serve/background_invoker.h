// A small, bounded pool of worker threads that run invocations the API
// does not wait for (OpenWhisk's non-blocking invoke), or waits for only a
// while (a blocking one, at most a minute). Each job is a Task; whoever
// submitted it may wait for it with a time limit. stop() refuses new jobs,
// drops the queued ones, wakes every waiter and joins the workers: no
// thread is left. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace hotmem::serve {

class BackgroundInvoker {
 public:
  struct Job;

  // `workers` threads, at most `max_queued` jobs waiting for one.
  BackgroundInvoker(std::size_t workers, std::size_t max_queued);
  // stop()
  ~BackgroundInvoker();
  BackgroundInvoker(const BackgroundInvoker&) = delete;
  BackgroundInvoker& operator=(const BackgroundInvoker&) = delete;

  // Queues `task`; kResourceExhausted when the queue is full, kUnavailable
  // once stopped.
  Result<std::shared_ptr<Job>> submit(std::function<void()> task);
  // Waits until the job has run, `limit` has passed or stop() was called;
  // whether it has run.
  bool wait_for(const Job& job, Clock::duration limit);
  // Refuses new jobs, drops the queued ones and wakes the waiters; the
  // running jobs go on. Idempotent.
  void close();
  // close(), then waits for the running jobs to end and joins the workers.
  // Idempotent.
  void stop();

 private:
  void work();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable queued_;  // a job came, or stop
  std::condition_variable done_;    // a job ran, or stop
  std::deque<std::pair<std::shared_ptr<Job>, std::function<void()>>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace hotmem::serve

#include "serve/background_invoker.h"

#include <fmt/format.h>

namespace hotmem::serve {

struct BackgroundInvoker::Job {
  bool done = false;  // under the invoker's mutex
};

BackgroundInvoker::BackgroundInvoker(std::size_t workers, std::size_t max_queued) : max_queued_(max_queued) {
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

BackgroundInvoker::~BackgroundInvoker() { stop(); }

Result<std::shared_ptr<BackgroundInvoker::Job>> BackgroundInvoker::submit(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return Error(ErrorCode::kUnavailable, "the daemon is shutting down").with_reason("shutting down");
  if (queue_.size() >= max_queued_) {
    return Error(ErrorCode::kResourceExhausted,
                 fmt::format("Too many concurrent requests in flight (count: {}, allowed: {}).", queue_.size(),
                             max_queued_))
        .with_reason("too many requests");
  }
  auto job = std::make_shared<Job>();
  queue_.emplace_back(job, std::move(task));
  queued_.notify_one();
  return job;
}

bool BackgroundInvoker::wait_for(const Job& job, Clock::duration limit) {
  std::unique_lock lock(mutex_);
  done_.wait_for(lock, limit, [&] { return job.done || stopping_; });
  return job.done;
}

void BackgroundInvoker::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front().first);
      task = std::move(queue_.front().second);
      queue_.pop_front();
    }
    task();
    std::lock_guard lock(mutex_);
    job->done = true;
    done_.notify_all();
  }
}

void BackgroundInvoker::close() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  queue_.clear();
  queued_.notify_all();
  done_.notify_all();
}

void BackgroundInvoker::stop() {
  close();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace hotmem::serve

// An instance's output as the agent reads it, with the test as the
// instance: lines cut at the sentinel, capped, and a flood that never blocks.
#include "agent/action_log.h"

#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace hotmem::agent {
namespace {

using protocol::LogStream;

const std::string kEnd = std::string(protocol::kLogSentinel) + "\n";

void write_to(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ASSERT_GT(n, 0);
    done += static_cast<std::size_t>(n);
  }
}

// Reads what the pipes hold now, as the agent's poll loop would.
void drain(ActionLog& log) {
  for (int round = 0; round < 100; ++round) {
    std::vector<pollfd> fds;
    log.poll_fds(fds);
    if (fds.empty() || ::poll(fds.data(), fds.size(), 0) <= 0) return;
    for (const pollfd& p : fds) log.on_poll(p);
  }
}

std::vector<std::string> texts(const protocol::ActionLogs& logs) {
  std::vector<std::string> out;
  for (const auto& l : logs.lines) out.push_back(std::string(protocol::to_string(l.stream)) + ": " + l.text);
  return out;
}

TEST(ActionLog, LinesOfBothStreamsUpToTheirSentinelsMakeOneActivation) {
  auto log = ActionLog::open();
  ASSERT_TRUE(log.ok()) << log.error().message();
  ActionLog& l = **log;
  const auto since = Clock::now();
  write_to(l.child_stdout(), "hello\nwor");
  write_to(l.child_stderr(), "oops\n");
  drain(l);
  EXPECT_FALSE(l.activation_ended());
  write_to(l.child_stdout(), "ld\n" + kEnd);
  drain(l);
  EXPECT_FALSE(l.activation_ended()) << "stderr has not ended its activation";
  write_to(l.child_stderr(), kEnd + "next\n");
  drain(l);
  EXPECT_TRUE(l.activation_ended());
  auto logs = l.take(4096, since);
  EXPECT_EQ(texts(logs), (std::vector<std::string>{"stdout: hello", "stderr: oops", "stdout: world", "stderr: next"}));
  EXPECT_FALSE(logs.truncated);
  EXPECT_FALSE(l.activation_ended()) << "the next activation has not ended";
  write_to(l.child_stdout(), kEnd);
  write_to(l.child_stderr(), kEnd);
  drain(l);
  EXPECT_TRUE(l.activation_ended());
  EXPECT_TRUE(l.take(4096, since).lines.empty());
}

TEST(ActionLog, WhatDoesNotFitTheLimitIsDroppedAndTheTakeSaysSo) {
  auto log = ActionLog::open();
  ASSERT_TRUE(log.ok());
  ActionLog& l = **log;
  for (int i = 0; i < 10; ++i) write_to(l.child_stdout(), std::string(52, 'a' + i) + "\n");  // 100 bytes each
  write_to(l.child_stdout(), kEnd);
  drain(l);
  auto logs = l.take(350, Clock::now());
  ASSERT_EQ(logs.lines.size(), 3u);
  EXPECT_EQ(logs.lines[2].text, std::string(52, 'c'));
  EXPECT_TRUE(logs.truncated);
  EXPECT_LE(logs.bytes(), 350u);
  // A take of nothing: the lines go, nothing is sent.
  write_to(l.child_stdout(), "unwanted\n");
  drain(l);
  EXPECT_TRUE(l.take(0, Clock::now()).empty());
}

// 10 MiB written by the "instance" while the agent reads: the writer never
// blocks for long, the agent keeps at most its buffer, and the sentinel
// after the flood still ends the activation.
TEST(ActionLog, AFloodIsDrainedAndCappedAndTheSentinelStillCounts) {
  auto log = ActionLog::open();
  ASSERT_TRUE(log.ok());
  ActionLog& l = **log;
  const int out = ::dup(l.child_stdout());
  l.close_child_ends();
  std::thread writer([out] {
    const std::string line(1023, 'x');
    for (int i = 0; i < 10 * 1024; ++i) write_to(out, line + "\n");
    write_to(out, std::string(200 * 1024, 'y'));  // a line longer than any kept whole
    write_to(out, "\n" + kEnd);
    ::close(out);
  });
  const auto until = Clock::now() + std::chrono::seconds(60);
  while (!l.activation_ended() && Clock::now() < until) {
    std::vector<pollfd> fds;
    l.poll_fds(fds);
    if (::poll(fds.data(), fds.size(), 100) > 0) {
      for (const pollfd& p : fds) l.on_poll(p);
    }
  }
  writer.join();
  ASSERT_TRUE(l.activation_ended()) << "the sentinel after the flood was not seen";
  auto logs = l.take(protocol::ActionLogs::kMaxBytes, Clock::now());
  EXPECT_TRUE(logs.truncated);
  EXPECT_LE(logs.bytes(), protocol::ActionLogs::kMaxBytes);
  EXPECT_GT(logs.lines.size(), 100u);
}

TEST(ActionLog, AStreamWithoutSentinelsIsNotWaitedForAndALateSentinelIsOwed) {
  auto log = ActionLog::open();
  ASSERT_TRUE(log.ok());
  ActionLog& l = **log;
  write_to(l.child_stdout(), "one\n" + kEnd);
  drain(l);
  EXPECT_FALSE(l.activation_ended()) << "stderr is expected to end it too at first";
  auto first = l.take(4096, Clock::now());  // (the agent's wait ran out)
  EXPECT_EQ(texts(first), (std::vector<std::string>{"stdout: one"}));
  // stderr wrote no sentinel: from now on only stdout's is waited for.
  write_to(l.child_stdout(), "two\n");
  drain(l);
  EXPECT_FALSE(l.activation_ended());
  write_to(l.child_stdout(), kEnd);
  drain(l);
  EXPECT_TRUE(l.activation_ended());
  (void)l.take(4096, Clock::now());
  // stderr's sentinel comes late: it closes the activation already taken,
  // not the next one, which waits for its own again.
  write_to(l.child_stderr(), kEnd);
  drain(l);
  EXPECT_FALSE(l.activation_ended());
  write_to(l.child_stdout(), kEnd);
  write_to(l.child_stderr(), kEnd);
  drain(l);
  EXPECT_TRUE(l.activation_ended());
}

TEST(ActionLog, ClosedStreamsEndTheActivation) {
  auto log = ActionLog::open();
  ASSERT_TRUE(log.ok());
  ActionLog& l = **log;
  write_to(l.child_stderr(), "dying words");
  l.close_child_ends();
  drain(l);
  EXPECT_TRUE(l.activation_ended());
  EXPECT_EQ(texts(l.take(4096, Clock::now())), (std::vector<std::string>{"stderr: dying words"}));
}

}  // namespace
}  // namespace hotmem::agent

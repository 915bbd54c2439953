// What an instance writes on its stdout and stderr: two pipes the agent
// drains as the bytes come (a flood never blocks the instance, nor the
// agent, whose memory for it stays bounded), cut into lines and into
// activations at OpenWhisk's end-of-activation line (protocol::kLogSentinel)
// on each stream.
//
// The lines since the last take() are kept, up to kMaxBufferedBytes (counted
// as protocol::ActionLogs does); what does not fit is dropped and the take
// says so. An activation has ended when each stream has written its
// sentinel, has closed, or is known not to write one: a stream that did not
// write one during an activation is not waited for afterwards, until it
// writes one again. A sentinel written after its activation was taken
// (late) is owed, and does not end the next one.
//
// Lines an instance writes before its first /run (starting, /init) belong
// to its first activation, as in OpenWhisk.
#pragma once

#include <poll.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"

namespace hotmem::agent {

class ActionLog {
 public:
  static constexpr std::size_t kMaxBufferedBytes = protocol::ActionLogs::kMaxBytes;
  // A longer line is cut into pieces of this size.
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;
  // Read from one pipe per wake-up at most, so a flood shares the agent.
  static constexpr std::size_t kMaxReadPerPoll = 1 << 20;

  // Makes the pipes (their read ends non-blocking).
  static Result<std::shared_ptr<ActionLog>> open();

  // The write ends, the child's fds 1 and 2; closed here once it has them.
  int child_stdout() const { return streams_[0].write.get(); }
  int child_stderr() const { return streams_[1].write.get(); }
  void close_child_ends();
  // Complete stderr lines are also written to this fd (the console while
  // an instance starts, so a failed start can be read there); -1: not.
  void echo_stderr_to(int fd) { echo_fd_ = fd; }

  void poll_fds(std::vector<pollfd>& fds) const;
  // Reads whatever `p` reports for one of its pipes; false when it is not one.
  bool on_poll(const pollfd& p);

  // Whether the activation under way has ended on both streams (above).
  bool activation_ended() const;
  // The lines since the last take, at most `limit` bytes of them (0: none,
  // all dropped), their times counted from `since`; starts the next
  // activation. A stream still expected to write its sentinel now owes it.
  protocol::ActionLogs take(std::size_t limit, Clock::time_point since);

 private:
  struct Stream {
    protocol::LogStream which = protocol::LogStream::kStdout;
    UniqueFd read;
    UniqueFd write;  // until the child has it
    std::string partial;  // the line not ended yet, at most kMaxLineBytes
    bool closed = false;
    bool expects_sentinel = true;
    std::size_t sentinels = 0;  // since the last take
    std::size_t owed = 0;       // late sentinels of activations already taken
  };
  struct Entry {
    protocol::LogStream stream;
    Clock::time_point at;
    std::string text;
  };

  ActionLog() = default;
  void read_from(Stream& stream);
  void line(Stream& stream, std::string text);

  std::array<Stream, 2> streams_;
  std::vector<Entry> lines_;
  std::size_t bytes_ = 0;
  bool dropped_ = false;
  int echo_fd_ = -1;
};

}  // namespace hotmem::agent

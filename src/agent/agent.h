// The guest agent: answers the host over the control port and runs function
// instances. Single-threaded: one poll loop over the port, the readiness pipes
// of instances, the sockets of invocations in flight and a signalfd for SIGCHLD (it is the guest's PID 1, so it
// reaps every orphan too).
#pragma once

#include <string>
#include <vector>

#include "agent/chores.h"
#include "agent/hostile.h"
#include "agent/instance_table.h"
#include "agent/invocations.h"
#include "common/unique_fd.h"
#include "protocol/frame.h"
#include "protocol/messages.h"

namespace hotmem::agent {

inline constexpr const char* kAgentVersion = "hotmem-agent 0.1.0";

class Agent {
 public:
  explicit Agent(UniqueFd port);
  // Runs until the port fails for good.
  int run();

 private:
  void on_port_readable();
  void handle(const protocol::Request& request);
  void send(const protocol::Response& response);
  void reap_children();

  protocol::Response ping(const protocol::Request& request);
  protocol::Response memory_report(const protocol::Request& request);
  protocol::Response preload(const protocol::Request& request);
  void invoke(const protocol::Request& request);

  UniqueFd port_;
  UniqueFd sigchld_;
  protocol::FrameDecoder decoder_;
  InstanceTable instances_;
  Chores chores_;
  Invocations invocations_;
  bool host_connected_ = true;
  Hostility hostility_ = Hostility::kNone;  // tests of the host only: see hostile.h
  bool turned_ = false;
};

}  // namespace hotmem::agent

// The guest agent: answers the host over the control port and runs function
// instances. Single-threaded: one poll loop over the port, the readiness
// pipes of instances, the sockets of invocations in flight and a signalfd
// for SIGCHLD (it is the guest's PID 1, so it reaps every orphan too).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/chores.h"
#include "agent/instance_table.h"
#include "agent/invocations.h"
#include "agent/node_clearer.h"
#include "agent/testing/hostile.h"
#include "common/unique_fd.h"
#include "protocol/agent_calls.h"
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
  // handle() looks a request's type up in a table of routes. A route
  // decodes the body into its call (protocol/agent_calls.h), answers a body
  // that fails to decode with the decoder's error, and hands the call to its
  // handler (ping() ... invoke() below), which answers now or, for work that
  // takes a while, later.
  using Handler = void (Agent::*)(const protocol::Request&);
  struct Route {
    std::string_view type;
    Handler handler;
  };
  template <class Call, void (Agent::*Handle)(std::uint64_t, Call)>
  static constexpr Route route();
  template <class Call, void (Agent::*Handle)(std::uint64_t, Call)>
  void decode_and(const protocol::Request& request);

  void on_port_readable();
  void handle(const protocol::Request& request);
  void send(const protocol::Response& response);
  void reap_children();

  void ping(std::uint64_t id, protocol::Ping);
  void memory_report(std::uint64_t id, protocol::MemoryReport);
  void instance_start(std::uint64_t id, protocol::InstanceStart start);
  void instance_stop(std::uint64_t id, protocol::InstanceStop stop);
  void instance_list(std::uint64_t id, protocol::InstanceList);
  void instance_signal(std::uint64_t id, protocol::InstanceSignal signal);
  void offline_node(std::uint64_t id, protocol::OfflineNode offline);
  void clear_node(std::uint64_t id, protocol::ClearNode clear);
  void preload(std::uint64_t id, protocol::Preload preload);
  void invoke(std::uint64_t id, protocol::Invoke invoke);

  UniqueFd port_;
  UniqueFd sigchld_;
  protocol::FrameDecoder decoder_;
  InstanceTable instances_;
  Chores chores_;
  NodeClearer clearer_;
  Invocations invocations_;
  bool host_connected_ = true;
  Hostility hostility_ = Hostility::kNone;  // tests of the host only: see testing/hostile.h
  Hostility turned_ = Hostility::kNone;  // what it turned into, at an invocation
};

}  // namespace hotmem::agent

// Progress of a long benchmark run: which experiment, which mode, how far,
// and how long is left (estimated from the steps done so far).
#pragma once

#include <functional>
#include <string>

#include "common/clock.h"

namespace hotmem::bench {

class Progress {
 public:
  using Sink = std::function<void(const std::string&)>;

  explicit Progress(Sink sink) : sink_(std::move(sink)), start_(Clock::now()) {}

  // Declares `steps` more steps of work ahead (estimates improve as they go).
  void plan(int steps) { total_ += steps; }
  void set_stage(std::string experiment, std::string mode);
  // Reports a line about the current stage.
  void note(const std::string& what);
  // One step done, with a line about it.
  void step(const std::string& what);

 private:
  std::string prefix() const;

  Sink sink_;
  Clock::time_point start_;
  int total_ = 0;
  int done_ = 0;
  std::string experiment_;
  std::string mode_;
};

}  // namespace hotmem::bench

#include "common/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace hotmem {
namespace {

// A signal handler can only reach process-wide state; this flag is the one
// piece of it, read through interrupted().
std::atomic<int> g_signals{0};

void on_signal(int signo) {
  if (g_signals.fetch_add(1) >= 1) {
    ::signal(signo, SIG_DFL);
    ::raise(signo);
  }
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_signals.load() > 0; }

}  // namespace hotmem

// Ctrl-C and SIGTERM handling for the command-line tools: the first signal
// asks every bounded wait to stop (so stacks unwind and RAII tears VMs down);
// a second one exits at once (QEMU still dies: it has PR_SET_PDEATHSIG).
#pragma once

namespace hotmem {

void install_interrupt_handlers();
bool interrupted();

}  // namespace hotmem

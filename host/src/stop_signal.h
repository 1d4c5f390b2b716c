#pragma once

namespace dictlab::host {

// The first Ctrl-C or SIGTERM asks stages to checkpoint and return; a second
// Ctrl-C kills the process at once, as users expect.
void install_stop_handlers();
bool stop_requested();
void request_stop();  // what the handlers do; also for tests

}  // namespace dictlab::host

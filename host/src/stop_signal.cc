#include "stop_signal.h"

#include <atomic>
#include <csignal>

namespace dictlab::host {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int signal) {
  g_stop.store(true);
  std::signal(signal, SIG_DFL);  // the next one is not caught
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool stop_requested() { return g_stop.load(); }
void request_stop() { g_stop.store(true); }

}  // namespace dictlab::host

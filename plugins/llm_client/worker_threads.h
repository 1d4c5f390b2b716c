#pragma once

#include <cstdint>
#include <functional>

namespace llm_client {

// Runs `work` on `count` threads and waits for all of them. An exception that
// escapes a thread would call std::terminate and lose the whole run (exit
// 134); instead the first one is kept, `on_error` is called so the others
// can stop, and it is rethrown here once every thread has finished. Work
// items should still catch their own errors to record them and go on: this
// is the last line of defence, e.g. for a journal that cannot be written.
void run_worker_threads(std::int64_t count, const std::function<void()>& work,
                        const std::function<void()>& on_error = {});

}  // namespace llm_client

#include "worker_threads.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace llm_client {

void run_worker_threads(std::int64_t count, const std::function<void()>& work, const std::function<void()>& on_error) {
  std::mutex mutex;
  std::exception_ptr first_error;
  auto guarded = [&] {
    try {
      work();
    } catch (...) {
      {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
      if (on_error) on_error();
    }
  };
  {
    std::vector<std::jthread> threads;
    for (std::int64_t t = 0; t < count; ++t) threads.emplace_back(guarded);
  }  // joined here
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace llm_client

#include "retry_wait.h"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <limits>
#include <sstream>
#include <thread>

namespace llm_client {
namespace {

using std::chrono::milliseconds;

// Long enough for any cap we use, short enough to never overflow below.
constexpr std::int64_t kLongestSeconds = 365LL * 24 * 3600;

std::optional<milliseconds> delay_seconds(const std::string& value) {
  if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::int64_t seconds = std::min<std::int64_t>(std::stoll(value), kLongestSeconds);
  return milliseconds(seconds * 1000);
}

std::optional<milliseconds> http_date(const std::string& value, std::chrono::system_clock::time_point now) {
  std::tm tm{};
  std::istringstream in(value);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  const std::time_t at = timegm(&tm);
  if (at == static_cast<std::time_t>(-1)) return std::nullopt;
  const std::int64_t ahead = static_cast<std::int64_t>(at) - std::chrono::system_clock::to_time_t(now);
  return milliseconds(std::clamp<std::int64_t>(ahead, 0, kLongestSeconds) * 1000);
}

}  // namespace

std::optional<milliseconds> parse_retry_after(const std::string& value, std::chrono::system_clock::time_point now) {
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  const std::string trimmed = value.substr(first, value.find_last_not_of(" \t") - first + 1);
  if (auto seconds = delay_seconds(trimmed)) return seconds;
  return http_date(trimmed, now);
}

milliseconds retry_wait(milliseconds backoff, milliseconds jitter, const std::string& retry_after,
                        milliseconds max_wait, std::chrono::system_clock::time_point now) {
  milliseconds wait = backoff + jitter;
  if (const auto asked = parse_retry_after(retry_after, now)) wait = std::max(wait, *asked);
  return std::clamp(wait, milliseconds(0), max_wait);
}

bool sleep_unless_stopped(milliseconds wait, const std::function<bool()>& stop) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (stop && stop()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(deadline - now, milliseconds(100)));
  }
}

}  // namespace llm_client

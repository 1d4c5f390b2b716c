#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace llm_client {

// The longest wait between two attempts unless the caller says otherwise:
// an endpoint's Retry-After of days (or a backoff doubled many times) must
// not park a stage for days.
inline constexpr std::chrono::milliseconds kMaxRetryWait{60'000};

// How long a Retry-After header asks to wait: delay-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", measured from `now`; a past
// date is 0). nullopt for anything else (negative, fractional, garbage), so
// the caller falls back to its own backoff.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now);

// The wait before the next attempt: the backoff plus its jitter, or the
// endpoint's Retry-After if longer, never more than `max_wait`.
std::chrono::milliseconds retry_wait(std::chrono::milliseconds backoff, std::chrono::milliseconds jitter,
                                     const std::string& retry_after, std::chrono::milliseconds max_wait,
                                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Sleeps for `wait` in short slices, returning false as soon as `stop`
// (if any) says so: Ctrl-C must not wait out a long Retry-After.
bool sleep_unless_stopped(std::chrono::milliseconds wait, const std::function<bool()>& stop);

}  // namespace llm_client

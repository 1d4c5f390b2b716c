#pragma once

#include <cstdint>
#include <vector>

#include "chat_client.h"
#include "dictlab/options.h"
#include "dictlab/run_context.h"

namespace llm_client {

// The options of every plugin that asks an LLM endpoint (append them to the
// descriptor's): endpoint, model, temperature, max_tokens, concurrency,
// api_key_env, timeout_seconds, max_attempts, retry_backoff_ms, structured_answers.
std::vector<dictlab::OptionSpec> endpoint_options(std::int64_t default_max_tokens);

// ChatOptions from those options (the host has checked their declared bounds).
// The answer cache sits beside the run's stages, shared by all of them, so a
// re-run (even --force) asks nothing it asked before.
ChatOptions chat_options(dictlab::RunContext& context);

}  // namespace llm_client

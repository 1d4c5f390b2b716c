#pragma once

#include <string>
#include <vector>

#include "chat_client.h"
#include "dictlab/feature_evidence.h"

namespace llm_client {

// Activations as Bills et al. (2023) show them to the explainer: integers
// 0-10, scaled so the feature's largest activation is 10.
int scaled_activation(float activation, double max_activation);

// What the explainer is shown of a feature.
struct ExplanationEvidence {
  int top_examples = 5;       // the strongest activations
  int weaker_examples = 2;    // from lower activation intervals, spread over them
  int next_tokens = 5;        // the tokens the feature most promotes next (its logit effects)
};

// The explanation prompt of Bills et al. 2023 (the top examples as
// "token<tab>activation" lines, then "the main thing this neuron does is
// find"), with what later auto-interpretability work adds when asked: weaker
// examples, so that a label covers more than the peak, and the feature's
// effect on the next token. With weaker_examples = next_tokens = 0 it is
// Bills et al.'s prompt as written.
std::vector<ChatMessage> explanation_prompt(const dictlab::FeatureEvidence& feature, const ExplanationEvidence& shown);

// The label in an answer: its first sentence, without quotes; "" if none.
// Asked as free text, not JSON: the prompt has the model continue a
// sentence, and small models asked for JSON echo the prompt's lead-in.
std::string explanation_from_answer(const std::string& answer);

}  // namespace llm_client

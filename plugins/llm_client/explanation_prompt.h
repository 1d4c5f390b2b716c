#pragma once

#include <string>
#include <vector>

#include "chat_client.h"
#include "dictlab/feature_evidence.h"

namespace llm_client {

// Activations as Bills et al. (2023) show them to the explainer: integers
// 0-10, scaled so the feature's largest activation is 10.
int scaled_activation(float activation, double max_activation);

// The explanation prompt of Bills et al. 2023: the top examples as
// "token<tab>activation" lines, then "the main thing this neuron does is find".
std::vector<ChatMessage> explanation_prompt(const dictlab::FeatureEvidence& feature, int examples);

// The label in an answer: its first sentence, without quotes; "" if none.
std::string explanation_from_answer(const std::string& answer);

}  // namespace llm_client

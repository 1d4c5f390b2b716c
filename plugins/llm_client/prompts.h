#pragma once

// Every prompt dictlab sends an LLM, in one place: the explainer's (Bills et
// al. 2023, with what later work adds), and the scorers' (detection and
// simulation of a label, the label-free intruder test), each with the JSON
// shape its structured answer takes. The parsers of the answers live with
// the scores they make (label_scores/scoring.h, intruder.h).

#include <string>
#include <vector>

#include "answer_format.h"
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
  int near_misses = 2;        // where the top token appears and the feature is silent
  int next_tokens = 5;        // the tokens the feature most promotes next (its logit effects)
};

// The explanation prompt of Bills et al. 2023 (the top examples as
// "token<tab>activation" lines, then "the main thing this neuron does is
// find"), with what later auto-interpretability work adds when asked: weaker
// examples, so that a label covers more than the peak; near misses, so that
// it says what the feature is not (a label "the word X" is wrong when X
// often appears without it); and the feature's effect on the next token.
// With weaker_examples = near_misses = next_tokens = 0 it is Bills et al.'s
// prompt as written.
std::vector<ChatMessage> explanation_prompt(const dictlab::FeatureEvidence& feature, const ExplanationEvidence& shown);

// The label in an answer: its first sentence, without quotes; "" if none.
// Asked as free text, not JSON: the prompt has the model continue a
// sentence, and small models asked for JSON echo the prompt's lead-in.
std::string explanation_from_answer(const std::string& answer);

// A token or a text as the LLM sees it: newlines and tabs made visible, so a
// context stays on one line and a token on one line of its own.
std::string shown(const std::string& text);

// Detection (EleutherAI delphi): which of N numbered contexts match the
// explanation? One worked example, then the question.
std::vector<ChatMessage> detection_prompt(const std::string& explanation, const std::vector<std::string>& contexts);
// {"matches": [numbers from 1 to contexts]}.
AnswerFormat detection_format(int contexts);

// Simulation (Bills et al. 2023, without logprobs): predict 0-10 per token.
std::vector<ChatMessage> simulation_prompt(const std::string& explanation, const std::vector<std::string>& tokens);
// {"activations": exactly `tokens` integers from 0 to 10}.
AnswerFormat simulation_format(std::size_t tokens);

// Intruder (delphi): which of the numbered contexts does not share the
// others' pattern?
std::vector<ChatMessage> intruder_prompt(const std::vector<std::string>& contexts);
// {"intruder": one of 1..contexts}.
AnswerFormat intruder_format(int contexts);

}  // namespace llm_client

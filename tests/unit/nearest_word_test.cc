#include "nearest_word.h"

#include <gtest/gtest.h>

namespace dictlab::host {

TEST(NearestWord, SuggestsTheClosestKeyForATypo) {
  EXPECT_EQ(nearest_word("lerning_rate", {"learning_rate", "batch_size", "steps"}), "learning_rate");
  EXPECT_EQ(nearest_word("path", {"paths", "format"}), "paths");
}

TEST(NearestWord, SuggestsNothingForAnUnrelatedWord) {
  EXPECT_EQ(nearest_word("xyzzy", {"learning_rate", "batch_size"}), std::nullopt);
  EXPECT_EQ(nearest_word("anything", {}), std::nullopt);
}

}  // namespace dictlab::host

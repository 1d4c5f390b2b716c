#include "option_validation.h"

#include <gtest/gtest.h>

namespace dictlab::host {
namespace {

const std::vector<OptionSpec> kSchema = {
    {"learning_rate", OptionType::kFloat, "Adam step size.", 1e-3},
    {"paths", OptionType::kStringList, "Inputs.", std::nullopt},
    {"sizes", OptionType::kIntList, "Sizes.", std::vector<std::int64_t>{512}},
    {"verbose", OptionType::kBool, "Talk.", false},
};

Located<OptionValue> at(OptionValue value, int line) { return {std::move(value), {"exp.toml", line, 1}}; }

}  // namespace

TEST(OptionValidation, FillsDefaultsAndPromotesIntegersToFloats) {
  Diagnostics diagnostics;
  RawOptions raw = {{"paths", at(std::vector<std::string>{"a"}, 3)}, {"learning_rate", at(std::int64_t{1}, 4)}};
  Options options = validate_options(raw, kSchema, {"exp.toml", 2, 1}, "[[stage]] 's'", diagnostics);
  ASSERT_TRUE(diagnostics.ok()) << diagnostics.status();
  EXPECT_DOUBLE_EQ(options.get_float("learning_rate"), 1.0);
  EXPECT_EQ(options.get_strings("paths"), std::vector<std::string>{"a"});
  EXPECT_EQ(options.get_ints("sizes"), std::vector<std::int64_t>{512});
  EXPECT_FALSE(options.get_bool("verbose"));
}

TEST(OptionValidation, UnknownKeyNamesPositionAndSuggestsTheNearestKey) {
  Diagnostics diagnostics;
  RawOptions raw = {{"paths", at(std::vector<std::string>{}, 3)}, {"lerning_rate", at(0.1, 7)}};
  validate_options(raw, kSchema, {"exp.toml", 2, 1}, "[[stage]] 's'", diagnostics);
  ASSERT_EQ(diagnostics.errors().size(), 1u);
  EXPECT_EQ(diagnostics.errors()[0],
            "exp.toml:7:1: unknown key 'lerning_rate' in [[stage]] 's'; did you mean 'learning_rate'?");
}

TEST(OptionValidation, WrongTypeSaysWhatWasExpectedAndWhatWasGiven) {
  Diagnostics diagnostics;
  RawOptions raw = {{"paths", at(std::string("a.txt"), 5)}};
  validate_options(raw, kSchema, {"exp.toml", 2, 1}, "[[stage]] 's'", diagnostics);
  ASSERT_EQ(diagnostics.errors().size(), 1u);
  EXPECT_EQ(diagnostics.errors()[0],
            "exp.toml:5:1: key 'paths' in [[stage]] 's' must be a list of strings, not a string (\"a.txt\")");
}

TEST(OptionValidation, MissingRequiredKeyPointsAtTheTableWithTheDoc) {
  Diagnostics diagnostics;
  validate_options({}, kSchema, {"exp.toml", 2, 1}, "[[stage]] 's'", diagnostics);
  ASSERT_EQ(diagnostics.errors().size(), 1u);
  EXPECT_EQ(diagnostics.errors()[0],
            "exp.toml:2:1: [[stage]] 's' is missing required key 'paths' (list of strings: Inputs.)");
}

TEST(OptionValidation, EmptyTomlArrayFitsAnyListType) {
  Diagnostics diagnostics;
  RawOptions raw = {{"paths", at(std::vector<std::string>{}, 3)}, {"sizes", at(std::vector<std::string>{}, 4)}};
  Options options = validate_options(raw, kSchema, {"exp.toml", 2, 1}, "t", diagnostics);
  ASSERT_TRUE(diagnostics.ok()) << diagnostics.status();
  EXPECT_TRUE(options.get_ints("sizes").empty());
}

}  // namespace dictlab::host

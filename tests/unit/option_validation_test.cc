#include "option_validation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "option_constraints.h"

namespace dictlab::host {
namespace {

const std::vector<OptionSpec> kSchema = {
    {"learning_rate", OptionType::kFloat, "Adam step size.", 1e-3},
    {"paths", OptionType::kStringList, "Inputs.", std::nullopt},
    {"sizes", OptionType::kIntList, "Sizes.", std::vector<std::int64_t>{512}},
    {"verbose", OptionType::kBool, "Talk.", false},
};

const std::vector<OptionSpec> kConstrained = {
    OptionSpec{"steps", OptionType::kInt, "Steps.", std::int64_t{10}}.at_least(1),
    OptionSpec{"learning_rate", OptionType::kFloat, "Step size.", 1e-3}.above(0.0),
    OptionSpec{"fraction", OptionType::kFloat, "Share.", 0.1}.above(0.0).below(0.5),
    OptionSpec{"density", OptionType::kFloat, "Density.", 0.5}.between(0.0, 1.0),
    OptionSpec{"bins", OptionType::kInt, "Bins.", std::int64_t{8}}.at_most(64),
    OptionSpec{"dtype", OptionType::kString, "Weights.", std::string("float32")}.one_of({"float32", "bfloat16"}),
    OptionSpec{"sizes", OptionType::kIntList, "Sizes.", std::vector<std::int64_t>{512}}.at_least(1),
    OptionSpec{"scales", OptionType::kFloatList, "Scales.", std::vector<double>{1.0}}.above(0.0),
    OptionSpec{"scorers", OptionType::kStringList, "Scorers.", std::vector<std::string>{"detection"}}.one_of(
        {"detection", "simulation"}),
};

Located<OptionValue> at(OptionValue value, int line, int column = 1) {
  return {std::move(value), {"exp.toml", line, column}};
}

// The one error validating `key = value` (written at line 9, column 3) against kConstrained gives.
std::string constraint_error(const std::string& key, OptionValue value) {
  Diagnostics diagnostics;
  validate_options({{key, at(std::move(value), 9, 3)}}, kConstrained, {"exp.toml", 2, 1}, "[[stage]] 's'",
                   diagnostics);
  if (diagnostics.errors().size() != 1) return "expected one error, got " + std::to_string(diagnostics.errors().size());
  return diagnostics.errors()[0];
}

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

TEST(OptionConstraints, ValuesOnTheBoundsAndTheDefaultsPass) {
  Diagnostics diagnostics;
  RawOptions raw = {{"steps", at(std::int64_t{1}, 3)},      {"density", at(std::int64_t{1}, 4)},
                    {"bins", at(std::int64_t{64}, 5)},      {"dtype", at(std::string("bfloat16"), 6)},
                    {"sizes", at(std::vector<std::int64_t>{1, 7}, 7)},
                    {"scorers", at(std::vector<std::string>{"simulation", "detection"}, 8)}};
  validate_options(raw, kConstrained, {"exp.toml", 2, 1}, "t", diagnostics);
  EXPECT_TRUE(diagnostics.ok()) << diagnostics.status();
  validate_options({}, kConstrained, {"exp.toml", 2, 1}, "t", diagnostics);
  EXPECT_TRUE(diagnostics.ok()) << diagnostics.status();
}

TEST(OptionConstraints, IntegerBelowItsMinimumNamesPositionKeyBoundAndValue) {
  EXPECT_EQ(constraint_error("steps", std::int64_t{0}),
            "exp.toml:9:3: key 'steps' in [[stage]] 's' must be at least 1, not 0");
}

TEST(OptionConstraints, FloatAtAnExclusiveLowerBoundIsRefused) {
  EXPECT_EQ(constraint_error("learning_rate", 0.0),
            "exp.toml:9:3: key 'learning_rate' in [[stage]] 's' must be greater than 0, not 0");
  EXPECT_EQ(constraint_error("learning_rate", std::int64_t{-2}),
            "exp.toml:9:3: key 'learning_rate' in [[stage]] 's' must be greater than 0, not -2");
}

TEST(OptionConstraints, FloatAtAnExclusiveUpperBoundIsRefused) {
  EXPECT_EQ(constraint_error("fraction", 0.5),
            "exp.toml:9:3: key 'fraction' in [[stage]] 's' must be greater than 0 and less than 0.5, not 0.5");
}

TEST(OptionConstraints, InclusiveRangeIsWrittenAsBetween) {
  EXPECT_EQ(constraint_error("density", 1.25),
            "exp.toml:9:3: key 'density' in [[stage]] 's' must be between 0 and 1, not 1.25");
  EXPECT_EQ(constraint_error("density", std::nan("")),
            "exp.toml:9:3: key 'density' in [[stage]] 's' must be between 0 and 1, not nan");
}

TEST(OptionConstraints, IntegerAboveItsMaximum) {
  EXPECT_EQ(constraint_error("bins", std::int64_t{65}),
            "exp.toml:9:3: key 'bins' in [[stage]] 's' must be at most 64, not 65");
}

TEST(OptionConstraints, StringNotAmongTheChoicesListsThemAndSuggestsTheNearest) {
  EXPECT_EQ(constraint_error("dtype", std::string("bfloat61")),
            "exp.toml:9:3: key 'dtype' in [[stage]] 's' must be one of \"float32\", \"bfloat16\", not \"bfloat61\"; "
            "did you mean \"bfloat16\"?");
  EXPECT_EQ(constraint_error("dtype", std::string("int8")),
            "exp.toml:9:3: key 'dtype' in [[stage]] 's' must be one of \"float32\", \"bfloat16\", not \"int8\"");
}

TEST(OptionConstraints, EveryElementOfAListIsChecked) {
  EXPECT_EQ(constraint_error("sizes", std::vector<std::int64_t>{4, 0, -1}),
            "exp.toml:9:3: every element of key 'sizes' in [[stage]] 's' must be at least 1, but element 2 is 0");
  // Integers written for a float list are promoted, then checked.
  EXPECT_EQ(constraint_error("scales", std::vector<std::int64_t>{2, -3}),
            "exp.toml:9:3: every element of key 'scales' in [[stage]] 's' must be greater than 0, but element 2 is -3");
  EXPECT_EQ(constraint_error("scorers", std::vector<std::string>{"detecton"}),
            "exp.toml:9:3: every element of key 'scorers' in [[stage]] 's' must be one of \"detection\", "
            "\"simulation\", but element 1 is \"detecton\"; did you mean \"detection\"?");
}

TEST(OptionConstraints, ATypeErrorIsReportedAloneWithoutAConstraintError) {
  EXPECT_EQ(constraint_error("steps", 0.5),
            "exp.toml:9:3: key 'steps' in [[stage]] 's' must be an integer, not a float (0.5)");
}

TEST(OptionConstraints, DescriptionsForThePluginListing) {
  EXPECT_EQ(describe_constraints(kSchema[0]), "");
  EXPECT_EQ(describe_constraints(kConstrained[0]), "at least 1");
  EXPECT_EQ(describe_constraints(kConstrained[2]), "greater than 0 and less than 0.5");
  EXPECT_EQ(describe_constraints(kConstrained[3]), "between 0 and 1");
  EXPECT_EQ(describe_constraints(kConstrained[5]), "one of \"float32\", \"bfloat16\"");
  EXPECT_EQ(describe_constraints(kConstrained[6]), "each at least 1");
  EXPECT_EQ(describe_constraints(kConstrained[8]), "each one of \"detection\", \"simulation\"");
}

}  // namespace dictlab::host

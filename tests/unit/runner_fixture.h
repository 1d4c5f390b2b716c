#pragma once

#include <gtest/gtest.h>

#include <sstream>

#include "experiment.h"
#include "plugin_registry.h"
#include "runner.h"
#include "test_support.h"

namespace dictlab::host {

// An experiment with a corpus stage and a counter stage that reads it.
struct RunnerFixture {
  testing::TempDir dir;
  PluginRegistry registry =
      PluginRegistry::discover({DICTLAB_TEST_PLUGIN_DIR, DICTLAB_BUILD_PLUGIN_DIR});

  Experiment experiment(const std::string& counter_options = "steps = 3\n") {
    testing::write_text(dir / "texts/a.txt", "hello world\n");
    testing::write_text(dir / "exp.toml", "[experiment]\nname = \"t\"\nrun_dir = \"" + (dir / "run").string() +
                                              "\"\n\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\n"
                                              "paths = [\"" + (dir / "texts").string() + "\"]\n\n"
                                              "[[stage]]\nname = \"count\"\nplugin = \"test_counter\"\n"
                                              "inputs = [\"corpus\"]\n" + counter_options);
    auto parsed = read_experiment(dir / "exp.toml");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return *parsed;
  }

  std::string run(const Experiment& e, RunFlags flags = {}, absl::StatusCode expected = absl::StatusCode::kOk) {
    std::ostringstream out;
    const absl::Status status = run_experiment(e, registry, flags, out);
    EXPECT_EQ(status.code(), expected) << status;
    return out.str() + std::string(status.message());
  }

  std::filesystem::path stage(const std::string& name) { return dir / "run/stages" / name; }
};

}  // namespace dictlab::host

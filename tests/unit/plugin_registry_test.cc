#include "plugin_registry.h"

#include <gtest/gtest.h>

#include "dictlab/abi.h"
#include "test_support.h"

namespace dictlab::host {
namespace {

const std::filesystem::path kTestPlugins = DICTLAB_TEST_PLUGIN_DIR;
const std::filesystem::path kBuildPlugins = DICTLAB_BUILD_PLUGIN_DIR;

}  // namespace

TEST(PluginRegistry, LoadsPluginsCopiedIntoATemporaryFolder) {
  testing::TempDir dir;
  std::filesystem::copy_file(kTestPlugins / "libtest_counter.so", dir / "libtest_counter.so");
  std::filesystem::copy_file(kBuildPlugins / "libtext_files.so", dir / "libtext_files.so");
  const auto registry = PluginRegistry::discover({dir.path()});
  EXPECT_TRUE(registry.failures().empty());
  ASSERT_NE(registry.find("test_counter"), nullptr);
  ASSERT_NE(registry.find("text_files"), nullptr);
  const auto& descriptor = registry.find("text_files")->descriptor;
  EXPECT_EQ(descriptor.kind, PluginKind::kDataset);
  EXPECT_EQ(descriptor.options.at(0).name, "paths");
  EXPECT_EQ(registry.find("test_counter")->descriptor.kind, PluginKind::kEvaluator);
  auto instance = registry.find("test_counter")->instantiate();
  EXPECT_TRUE(instance.ok()) << instance.status();
}

TEST(PluginRegistry, ASharedLibraryThatIsNotAPluginIsRefusedByName) {
  auto loaded = PluginRegistry::load(kTestPlugins / "not_a_plugin/libnot_a_plugin.so");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("libnot_a_plugin.so: not a dictlab plugin"), std::string::npos)
      << loaded.status();
}

TEST(PluginRegistry, AFileThatIsNotASharedLibraryIsRefusedWithTheLoaderMessage) {
  testing::TempDir dir;
  testing::write_text(dir / "libbroken.so", "this is text, not ELF");
  auto loaded = PluginRegistry::load(dir / "libbroken.so");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("libbroken.so: cannot load:"), std::string::npos) << loaded.status();
}

TEST(PluginRegistry, APluginBuiltAgainstAnotherAbiIsRefusedSayingWhichAbi) {
  auto loaded = PluginRegistry::load(kTestPlugins / "other_abi/libtest_other_abi.so");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("built against dictlab SDK ABI 99, but this dictlab speaks ABI " + std::to_string(DICTLAB_SDK_ABI_VERSION)),
            std::string::npos)
      << loaded.status();
}

TEST(PluginRegistry, FailuresAreListedWithKnownPlugins) {
  const auto registry = PluginRegistry::discover(
      {kTestPlugins / "other_abi", kTestPlugins / "not_a_plugin", kTestPlugins});
  EXPECT_NE(registry.find("test_counter"), nullptr);
  EXPECT_EQ(registry.failures().size(), 2u);
  const std::string known = registry.describe_known();
  EXPECT_EQ(known.rfind("known plugins:", 0), 0u) << known;
  EXPECT_NE(known.find(" test_counter"), std::string::npos) << known;
  EXPECT_NE(known.find("not loaded: "), std::string::npos) << known;
}

}  // namespace dictlab::host

#include "site_export.h"

#include <gtest/gtest.h>

#include "dictlab/sqlite.h"
#include "site_folder.h"
#include "synthetic_analysis.h"
#include "test_support.h"

namespace dictlab::host {
namespace {

namespace fs = std::filesystem;

struct ExportFixture {
  testing::TempDir dir;
  SiteExportOptions options;
  ExportFixture() {
    testing::write_synthetic_analysis(dir / "run", "features", 5);
    options.run_dir = dir / "run";
    options.stage = "features";
    options.out = dir / "site";
  }
};

TEST(SiteExport, RefusesToReplaceAFolderItDidNotWriteAndKeepsItsFiles) {
  ExportFixture f;
  testing::write_text(f.dir / "site/thesis.tex", "three years of work\n");
  const absl::Status status = export_site(f.options);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find((f.dir / "site").string()), std::string::npos) << status;
  EXPECT_NE(status.message().find("--force"), std::string::npos) << status;
  EXPECT_EQ(testing::read_text(f.dir / "site/thesis.tex"), "three years of work\n");
  EXPECT_FALSE(fs::exists(f.dir / "site/data/run.json"));
}

TEST(SiteExport, ReplacesItsOwnEarlierExportAnEmptyFolderOrAnyFolderWhenForced) {
  ExportFixture f;
  fs::create_directories(f.dir / "site");
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_TRUE(fs::exists(f.dir / "site" / kSiteMarkerFile));
  testing::write_text(f.dir / "site/stale.txt", "from the last export\n");
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_FALSE(fs::exists(f.dir / "site/stale.txt"));

  // An export written before the marker existed is still recognised.
  fs::remove(f.dir / "site" / kSiteMarkerFile);
  EXPECT_TRUE(export_site(f.options).ok());

  testing::write_text(f.dir / "other/notes.txt", "mine\n");
  f.options.out = f.dir / "other";
  f.options.force = true;
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_FALSE(fs::exists(f.dir / "other/notes.txt"));
  EXPECT_TRUE(fs::exists(f.dir / "other/data/run.json"));
}

TEST(SiteExport, AFeatureIdOutsideTheStoreIsAnErrorNamingTheFile) {
  for (const std::int64_t bad_id : {std::int64_t{5}, std::int64_t{-3}, std::int64_t{1} << 40}) {
    ExportFixture f;
    const auto store = f.dir / "run/stages/features" / FeatureStore::kFileName;
    SqliteDatabase(store, SqliteDatabase::Mode::kReadWrite)
        .prepare("UPDATE features SET id = ? WHERE id = 2")
        .bind(1, bad_id)
        .run();
    const absl::Status status = export_site(f.options);
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find(store.string()), std::string::npos) << status;
    // Ids past the end sort last, so the gap they leave is found first.
    const std::string says = bad_id < 0 ? "feature id -3 is out of range" : "no feature 2";
    EXPECT_NE(status.message().find(says), std::string::npos) << status;
  }
}

TEST(SiteExport, AnImpossibleFeatureCountIsAnErrorNotAnAllocation) {
  ExportFixture f;
  const auto store = f.dir / "run/stages/features" / FeatureStore::kFileName;
  SqliteDatabase(store, SqliteDatabase::Mode::kReadWrite)
      .prepare("UPDATE meta SET value = '1e18' WHERE key = 'n_features'")
      .run();
  const absl::Status status = export_site(f.options);
  EXPECT_NE(status.message().find("n_features"), std::string::npos) << status;
}

}  // namespace
}  // namespace dictlab::host

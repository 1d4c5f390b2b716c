#include "metrics_merge.h"

#include <gtest/gtest.h>

namespace dictlab::host {
namespace {

const char* kRun =
    "# HELP dictlab_loss Loss.\n# TYPE dictlab_loss gauge\n"
    "dictlab_loss{stage=\"model\"} 3.5\ndictlab_loss{stage=\"sae\"} 0.2\n"
    "dictlab_score{labeler_stage=\"model\",stage=\"scores\"} 0.5\n"
    "# HELP dictlab_lat Latency.\n# TYPE dictlab_lat histogram\n"
    "dictlab_lat_bucket{stage=\"sae\",le=\"1\"} 2\ndictlab_lat_sum{stage=\"sae\"} 1.5\ndictlab_lat_count{stage=\"sae\"} 2\n";

TEST(MetricsMerge, KeepsOneStagesSeriesWithTheirFamilies) {
  EXPECT_EQ(series_of_stage(kRun, "model"), "# HELP dictlab_loss Loss.\n# TYPE dictlab_loss gauge\ndictlab_loss{stage=\"model\"} 3.5\n")
      << "not the series whose labeler_stage is model";
  EXPECT_NE(series_of_stage(kRun, "scores").find("dictlab_score{"), std::string::npos);
  const std::string sae = series_of_stage(kRun, "sae");
  EXPECT_NE(sae.find("dictlab_lat_bucket{stage=\"sae\",le=\"1\"} 2"), std::string::npos);
  EXPECT_EQ(sae.find("stage=\"model\""), std::string::npos);
}

TEST(MetricsMerge, GroupsFamiliesOnceAndLaterValuesWin) {
  const std::string merged = merge_expositions(
      {series_of_stage(kRun, "model"), series_of_stage(kRun, "sae"),
       "# HELP dictlab_loss Loss.\n# TYPE dictlab_loss gauge\ndictlab_loss{stage=\"model\"} 2.9\n"});
  EXPECT_EQ(merged.find("# TYPE dictlab_loss gauge"), merged.rfind("# TYPE dictlab_loss gauge"));
  EXPECT_NE(merged.find("dictlab_loss{stage=\"model\"} 2.9"), std::string::npos);
  EXPECT_EQ(merged.find("3.5"), std::string::npos);
  EXPECT_NE(merged.find("dictlab_loss{stage=\"sae\"} 0.2"), std::string::npos);
}

}  // namespace
}  // namespace dictlab::host

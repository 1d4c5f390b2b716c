// A real Prometheus server scrapes a running `dictlab run` and must hold its
// metrics afterwards, queried through Prometheus' own HTTP API.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_support.h"

namespace dictlab::testing {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

}  // namespace

TEST(Prometheus, ScrapesARunningExperiment) {
  ASSERT_TRUE(std::filesystem::exists(kPrometheus)) << "install Debian's prometheus package";
  TempDir dir;
  const int dictlab_port = free_port();
  const int prometheus_port = free_port();
  write_text(dir / "prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dictlab\n"
                                     "    static_configs:\n      - targets: ['127.0.0.1:" +
                                         std::to_string(dictlab_port) + "']\n");
  Process prometheus({kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                      "--storage.tsdb.path=" + (dir / "tsdb").string(),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                     {}, dir / "prometheus.log");

  write_text(dir / "texts/a.txt", "hello\n");
  write_text(dir / "exp.toml", "[experiment]\nname = \"scraped\"\nrun_dir = \"" + (dir / "run").string() +
                                   "\"\n[metrics]\nport = " + std::to_string(dictlab_port) +
                                   "\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" +
                                   (dir / "texts").string() + "\"]\n"
                                   "\n[[stage]]\nname = \"count\"\nplugin = \"test_counter\"\n"
                                   "steps = 80\nstep_seconds = 0.1\n");
  Process run({DICTLAB_BINARY, "run", (dir / "exp.toml").string()},
              {{"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR}},
              dir / "run.log");

  // The stage runs for 8 s; Prometheus scrapes every second.
  nlohmann::json running, steps;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && (running.empty() || steps.empty())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    running = prometheus_query(prometheus_port, "dictlab_stage_state{experiment=\"scraped\",stage=\"count\",state=\"running\"} == 1");
    steps = prometheus_query(prometheus_port, "dictlab_test_counter_steps_total{experiment=\"scraped\",stage=\"count\"} > 0");
  }
  ASSERT_FALSE(running.empty()) << "Prometheus never saw the stage running\n"
                                << read_text(dir / "prometheus.log") << run.output();
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0]["metric"]["plugin"], "test_counter");
  EXPECT_EQ(steps[0]["metric"]["job"], "dictlab");

  EXPECT_EQ(run.wait(), 0) << run.output();
  const auto progress = prometheus_query(prometheus_port, "max_over_time(dictlab_stage_items_done{stage=\"count\"}[5m])");
  ASSERT_FALSE(progress.empty());
  EXPECT_GT(std::stod(progress[0]["value"][1].get<std::string>()), 0.0);
  // The last values are also left in the run directory for backfill.
  EXPECT_NE(read_text(dir / "run/metrics.prom").find("dictlab_test_counter_steps_total"), std::string::npos);

  // Every panel of the Grafana dashboard finds data for this run.
  const auto dashboard = nlohmann::json::parse(read_text(std::string(DICTLAB_SOURCE_DIR) + "/dashboards/dictlab-runs.json"));
  ASSERT_FALSE(dashboard["panels"].empty());
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) {
      std::string expr = target["expr"];
      const std::string variable = "$experiment";
      expr.replace(expr.find(variable), variable.size(), "scraped");
      // A range query's worth of history, as Grafana would ask for it.
      const auto result = prometheus_query(prometheus_port, "last_over_time((" + expr + ")[5m:1s])");
      EXPECT_FALSE(result.empty()) << "panel '" << panel["title"] << "' has no data: " << expr;
    }
  }
  prometheus.signal(SIGTERM);
  prometheus.wait();
}

}  // namespace dictlab::testing

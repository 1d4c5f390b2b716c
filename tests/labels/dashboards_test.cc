// The Grafana dashboards against a finished run: every stage of a tiny
// pipeline (model, SAE, its metrics, analysis, labelers, label scores, the
// intruder test, and a
// second model and dictionary for universality, famous features and
// splitting), its figures served by `dictlab serve` and scraped by a real
// Prometheus; every panel's query must return data.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <map>
#include <set>

#include "dictlab/label_store.h"
#include "fake_llm_server.h"
#include "http_support.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

// The tiny experiment's model again with another seed, and a dictionary of it:
// the second model the universality panels compare against.
std::string model_b_stages(const std::string& experiment) {
  const auto begin = experiment.find("[[stage]]\nname = \"model\"");
  std::string model = experiment.substr(begin, experiment.find("[[stage]]", begin + 1) - begin);
  model.replace(model.find("name = \"model\""), 14, "name = \"model_b\"\nseed = 2");
  return "\n" + model +
         "\n[[stage]]\nname = \"sae_b\"\nplugin = \"sae_topk\"\ninputs = [\"model_b\", \"tokens\"]\n"
         "d_sae = 64\nk = 8\nsteps = 30\nbatch_size = 256\nbuffer_contexts = 32\n";
}

TEST(Dashboards, EveryPanelShowsAFinishedRun) {
  TempDir dir;
  // Detection answers parse; simulation answers do not (recorded as failures).
  FakeLlmServer llm([](const nlohmann::json&) { return "1, 2"; });
  const auto file = write_tiny_site_experiment(dir.path(), "", small_dictionary_stages());
  write_text(file, read_text(file) + model_b_stages(read_text(file)) +
                       "\n[[stage]]\nname = \"sae_metrics\"\nplugin = \"sae_metrics\"\ninputs = [\"model\", \"tokens\", \"sae\"]\n"
                       "contexts = 8\n"
                       "\n[[stage]]\nname = \"labels_baseline\"\nplugin = \"baseline\"\ninputs = [\"features\"]\n"
                       "\n[[stage]]\nname = \"labels_human\"\nplugin = \"human\"\ninputs = [\"features\"]\n"
                       "\n[[stage]]\nname = \"scores\"\nplugin = \"label_scores\"\n"
                       "inputs = [\"model\", \"tokens\", \"sae\", \"features\", \"labels_baseline\", \"labels_human\"]\n"
                       "endpoint = \"" + llm.endpoint() + "\"\nmodel = \"fake\"\nfeatures = 3\nmax_attempts = 1\n"
                       "\n[[stage]]\nname = \"intruder\"\nplugin = \"intruder_scores\"\n"
                       "inputs = [\"model\", \"tokens\", \"sae\", \"features\"]\n"
                       "endpoint = \"" + llm.endpoint() + "\"\nmodel = \"fake\"\nfeatures = 3\nmax_attempts = 1\n"
                       "\n[[stage]]\nname = \"universality\"\nplugin = \"universality\"\n"
                       "inputs = [\"model\", \"sae\", \"model_b\", \"sae_b\", \"tokens\"]\ncontexts = 16\n"
                       "\n[[stage]]\nname = \"famous\"\nplugin = \"famous_features\"\n"
                       "inputs = [\"model\", \"sae\", \"tokens\"]\ncontexts = 32\nmin_tokens = 5\n"
                       "\n[[stage]]\nname = \"splitting\"\nplugin = \"feature_splitting\"\n"
                       "inputs = [\"model\", \"sae_small\", \"sae\", \"tokens\"]\ncontexts = 16\n");
  {
    // A run directory in which people labelled before the labelers run.
    write_text(dir / "run/.dictlab-run", "");
    LabelStore people(dir / "run/labels.sqlite");
    for (std::int64_t feature = 0; feature < 8; ++feature)
      people.put("features", {.feature = feature, .author = "ada", .text = "a label", .rubric = 2});
  }
  const auto result = run_command({DICTLAB_BINARY, "run", file.string()}, plugin_environment());
  ASSERT_EQ(result.exit_code, 0) << result.output;

  Process serve({DICTLAB_BINARY, "serve", (dir / "run").string(), "--all", "--port", "0"}, plugin_environment(),
                dir / "serve.log");
  const int serve_port = served_port(serve, std::chrono::seconds(60));
  ASSERT_NE(serve_port, 0) << serve.output();
  const int prometheus_port = free_port();
  write_text(dir / "prometheus.yml", "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dictlab\n"
                                     "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(serve_port) + "']\n");
  Process prometheus({"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
                      "--storage.tsdb.path=" + (dir / "tsdb").string(),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                     {}, dir / "prometheus.log");
  ASSERT_TRUE(wait_for([&] { return !prometheus_query(prometheus_port, "dictlab_label_score_mean").empty(); },
                       std::chrono::seconds(60)))
      << read_text(dir / "prometheus.log");

  for (const char* name :
       {"dictlab-runs", "dictlab-training", "dictlab-dictionary", "dictlab-labels", "dictlab-features"}) {
    const auto dashboard = nlohmann::json::parse(
        read_text(std::string(DICTLAB_SOURCE_DIR) + "/dashboards/" + name + ".json"));
    EXPECT_EQ(dashboard["uid"], name);
    ASSERT_FALSE(dashboard["panels"].empty());
    // Each template variable as "All" would query it: the run's experiment, any scorer.
    std::map<std::string, std::string> values;
    for (const auto& variable : dashboard["templating"]["list"])
      values["$" + variable["name"].get<std::string>()] = variable["name"] == "experiment" ? "tiny" : ".+";
    std::set<int> ids;
    for (const auto& panel : dashboard["panels"]) {
      EXPECT_TRUE(ids.insert(panel["id"].get<int>()).second) << name << ": duplicate panel id";
      for (const char* key : {"type", "title", "gridPos", "targets"}) EXPECT_TRUE(panel.contains(key)) << key;
      if (panel.contains("repeat")) EXPECT_TRUE(values.contains("$" + panel["repeat"].get<std::string>())) << panel["title"];
      for (const auto& target : panel["targets"]) {
        std::string expr = target["expr"];
        for (const auto& [variable, value] : values)
          for (auto at = expr.find(variable); at != std::string::npos; at = expr.find(variable, at + value.size()))
            expr.replace(at, variable.size(), value);
        EXPECT_EQ(expr.find('$'), std::string::npos) << name << ": an undefined variable in " << expr;
        const auto data = prometheus_query(prometheus_port, expr);
        EXPECT_FALSE(data.empty()) << name << ": panel '" << panel["title"] << "' has no data: " << expr;
      }
    }
  }
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0);
  prometheus.signal(SIGTERM);
  prometheus.wait();
}

}  // namespace
}  // namespace dictlab::testing

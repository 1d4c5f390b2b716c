#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dictlab/metrics.h"

namespace prometheus {
class Registry;
}

namespace dictlab::host {

// The run's metrics: prometheus-cpp families behind the SDK's small metric
// interfaces. Every name gets the "dictlab_" prefix; series of the same name
// and labels are the same object, however often they are asked for.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();

  Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels);
  Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels);
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       const MetricLabels& labels);

  // The Prometheus text exposition format (version 0.0.4) of every series.
  std::string serialize() const;
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  struct Series;
  template <typename Adapter, typename Make>
  Adapter& series(std::string_view kind, std::string_view name, const MetricLabels& labels, Make make);

  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mutex_;
  std::map<std::string, void*> families_;                    // full name -> prometheus family
  std::map<std::string, std::string> family_kinds_;          // full name -> counter/gauge/histogram
  std::map<std::string, std::unique_ptr<Series>> series_;    // name + labels -> adapter
};

// What one stage's plugin sees: the run's registry with the experiment,
// stage and plugin labels added to every series.
class StageMetrics : public Metrics {
 public:
  StageMetrics(MetricsRegistry& registry, MetricLabels base_labels)
      : registry_(registry), base_labels_(std::move(base_labels)) {}

  Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels) override {
    return registry_.counter(name, help, with_base(labels));
  }
  Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels) override {
    return registry_.gauge(name, help, with_base(labels));
  }
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       const MetricLabels& labels) override {
    return registry_.histogram(name, help, bounds, with_base(labels));
  }

 private:
  MetricLabels with_base(const MetricLabels& labels) const {
    MetricLabels all = base_labels_;
    for (const auto& [k, v] : labels) all[k] = v;
    return all;
  }

  MetricsRegistry& registry_;
  MetricLabels base_labels_;
};

}  // namespace dictlab::host

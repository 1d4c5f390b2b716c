#include "metrics_registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "dictlab/errors.h"

namespace dictlab::host {
namespace {

class CounterAdapter : public Counter {
 public:
  explicit CounterAdapter(prometheus::Counter& c) : c_(c) {}
  void increment(double by) override { c_.Increment(by); }

 private:
  prometheus::Counter& c_;
};

class GaugeAdapter : public Gauge {
 public:
  explicit GaugeAdapter(prometheus::Gauge& g) : g_(g) {}
  void set(double value) override { g_.Set(value); }

 private:
  prometheus::Gauge& g_;
};

class HistogramAdapter : public Histogram {
 public:
  explicit HistogramAdapter(prometheus::Histogram& h) : h_(h) {}
  void observe(double value) override { h_.Observe(value); }

 private:
  prometheus::Histogram& h_;
};

std::string series_key(std::string_view name, const MetricLabels& labels) {
  std::string key(name);
  for (const auto& [k, v] : labels) key += "\x1f" + k + "=" + v;
  return key;
}

}  // namespace

struct MetricsRegistry::Series {
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
};

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}
MetricsRegistry::~MetricsRegistry() = default;

template <typename Adapter, typename Make>
Adapter& MetricsRegistry::series(std::string_view kind, std::string_view name, const MetricLabels& labels,
                                 Make make) {
  const std::string full_name = "dictlab_" + std::string(name);
  std::lock_guard lock(mutex_);
  auto kind_it = family_kinds_.find(full_name);
  if (kind_it != family_kinds_.end() && kind_it->second != kind)
    throw PluginError("metric " + full_name + " is already a " + kind_it->second + ", not a " + std::string(kind));
  auto& slot = series_[series_key(full_name, labels)];
  if (!slot) {
    try {
      slot = make(full_name, std::map<std::string, std::string>(labels.begin(), labels.end()));
    } catch (const std::invalid_argument& error) {
      series_.erase(series_key(full_name, labels));
      throw PluginError("bad metric " + full_name + ": " + error.what());
    }
    family_kinds_[full_name] = std::string(kind);
  }
  if constexpr (std::is_same_v<Adapter, Counter>) return *slot->counter;
  else if constexpr (std::is_same_v<Adapter, Gauge>) return *slot->gauge;
  else return *slot->histogram;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, const MetricLabels& labels) {
  return series<Counter>("counter", name, labels, [&](const std::string& full, const auto& l) {
    auto*& family = families_[full];
    if (!family) family = &prometheus::BuildCounter().Name(full).Help(std::string(help)).Register(*registry_);
    auto s = std::make_unique<Series>();
    s->counter = std::make_unique<CounterAdapter>(static_cast<prometheus::Family<prometheus::Counter>*>(family)->Add(l));
    return s;
  });
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
  return series<Gauge>("gauge", name, labels, [&](const std::string& full, const auto& l) {
    auto*& family = families_[full];
    if (!family) family = &prometheus::BuildGauge().Name(full).Help(std::string(help)).Register(*registry_);
    auto s = std::make_unique<Series>();
    s->gauge = std::make_unique<GaugeAdapter>(static_cast<prometheus::Family<prometheus::Gauge>*>(family)->Add(l));
    return s;
  });
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const std::vector<double>& bounds, const MetricLabels& labels) {
  return series<Histogram>("histogram", name, labels, [&](const std::string& full, const auto& l) {
    auto*& family = families_[full];
    if (!family) family = &prometheus::BuildHistogram().Name(full).Help(std::string(help)).Register(*registry_);
    auto s = std::make_unique<Series>();
    s->histogram = std::make_unique<HistogramAdapter>(
        static_cast<prometheus::Family<prometheus::Histogram>*>(family)->Add(l, prometheus::Histogram::BucketBoundaries(bounds)));
    return s;
  });
}

std::string MetricsRegistry::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace dictlab::host

#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dictlab {

// Extra labels of one series. The host always adds experiment, stage and
// plugin; keep the rest few and bounded (per-feature figures belong in the
// run's artifacts, not in Prometheus).
using MetricLabels = std::map<std::string, std::string>;

class Counter {
 public:
  virtual ~Counter() = default;
  virtual void increment(double by = 1.0) = 0;
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void set(double value) = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void observe(double value) = 0;
};

// Names are given without the "dictlab_" prefix, which the host adds; use
// Prometheus base units in them (_seconds, _bytes, and _total for counters).
// The returned references stay valid for the whole run.
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual Counter& counter(std::string_view name, std::string_view help,
                           const MetricLabels& labels = {}) = 0;
  virtual Gauge& gauge(std::string_view name, std::string_view help,
                       const MetricLabels& labels = {}) = 0;
  virtual Histogram& histogram(std::string_view name, std::string_view help,
                               const std::vector<double>& bucket_bounds,
                               const MetricLabels& labels = {}) = 0;
};

}  // namespace dictlab

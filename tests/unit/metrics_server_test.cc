#include "metrics_server.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "dictlab/errors.h"
#include "metrics_registry.h"

namespace dictlab::host {
namespace {

std::string scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get("/metrics");
  if (!response) return "no response: " + httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  return response->body;
}

}  // namespace

TEST(MetricsRegistry, PrefixesNamesAndReusesSeries) {
  MetricsRegistry registry;
  StageMetrics stage(registry, {{"experiment", "e"}, {"stage", "s"}, {"plugin", "p"}});
  stage.counter("tokens_total", "Tokens.", {}).increment(3);
  stage.counter("tokens_total", "Tokens.", {}).increment(2);
  const std::string text = registry.serialize();
  EXPECT_NE(text.find("dictlab_tokens_total{experiment=\"e\",plugin=\"p\",stage=\"s\"} 5"), std::string::npos) << text;
  EXPECT_THROW(stage.gauge("tokens_total", "Tokens.", {}), PluginError);
  EXPECT_THROW(stage.gauge("bad name!", "x", {}), PluginError);
}

TEST(MetricsServer, ServesTheRegistryOverHttp) {
  MetricsRegistry registry;
  registry.gauge("answer", "The answer.", {{"stage", "s"}}).set(42);
  auto server = MetricsServer::start(registry, "127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE(scrape((*server)->port()).find("dictlab_answer{stage=\"s\"} 42"), std::string::npos);
}

TEST(MetricsServer, APortInUseIsAClearError) {
  MetricsRegistry registry;
  auto first = MetricsServer::start(registry, "127.0.0.1", 0);
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::start(registry, "127.0.0.1", (*first)->port());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use?"), std::string::npos) << second.status();
}

// Every model plugin brings LibTorch into the process. prometheus-cpp's own
// exposer (civetweb) cannot start its threads then; ours must keep serving.
TEST(MetricsServer, KeepsServingWithLibTorchLoaded) {
  void* torch = dlopen(DICTLAB_TORCH_CPU_LIBRARY, RTLD_NOW | RTLD_GLOBAL);
  ASSERT_NE(torch, nullptr) << dlerror();
  // at::_ops::zeros_like::call, with c10::optional (Debian's 1.13) or std::optional (2.x, the CUDA build).
  const bool has_op =
      dlsym(torch, "_ZN2at4_ops10zeros_like4callERKNS_6TensorEN3c108optionalINS5_10ScalarTypeEEENS6_INS5_6LayoutEEENS6_INS5_6DeviceEEENS6_IbEENS6_INS5_12MemoryFormatEEE") ||
      dlsym(torch, "_ZN2at4_ops10zeros_like4callERKNS_6TensorESt8optionalIN3c1010ScalarTypeEES5_INS6_6LayoutEES5_INS6_6DeviceEES5_IbES5_INS6_12MemoryFormatEE");
  ASSERT_TRUE(has_op) << "libtorch_cpu is not really loaded";
  MetricsRegistry registry;
  registry.gauge("with_torch", "Served beside LibTorch.", {}).set(1);
  auto server = MetricsServer::start(registry, "127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE(scrape((*server)->port()).find("dictlab_with_torch 1"), std::string::npos);
}

}  // namespace dictlab::host

#include "launch_environment.h"

#include <gtest/gtest.h>

namespace dictlab::host {
namespace {

TEST(DeviceOfRank, ABareCudaIsEachRanksOwnGpuInARunOfSeveralRanks) {
  EXPECT_EQ(device_of_rank("cuda", 0), "cuda:0");
  EXPECT_EQ(device_of_rank("cuda", 3), "cuda:3");
  EXPECT_EQ(device_of_rank("cuda", std::nullopt), "cuda");  // one process
}

TEST(DeviceOfRank, ANamedGpuOrTheCpuStaysAsWritten) {
  EXPECT_EQ(device_of_rank("cuda:1", 3), "cuda:1");  // every rank on GPU 1, as asked
  EXPECT_EQ(device_of_rank("cpu", 2), "cpu");
}

}  // namespace
}  // namespace dictlab::host

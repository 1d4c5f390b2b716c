#pragma once

// The host refuses a plugin whose ABI version differs from its own: the plugin
// interfaces below are C++ classes passed by reference across the shared-library
// boundary, so any change to their layout or virtual methods bumps this number.
#ifndef DICTLAB_SDK_ABI_VERSION
#define DICTLAB_SDK_ABI_VERSION 8
#endif

namespace dictlab {
inline constexpr int kSdkAbiVersion = DICTLAB_SDK_ABI_VERSION;
}  // namespace dictlab

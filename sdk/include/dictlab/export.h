#pragma once

#include <boost/dll/alias.hpp>
#include <memory>

#include "dictlab/abi.h"
#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"

// Exports one plugin from a shared library:
//
//   DICTLAB_PLUGIN(MyDataset, my_descriptor)
//
// where MyDataset derives from one of the kinds (dictlab::Dataset, ...) and
// my_descriptor() returns its PluginDescriptor. The host reads the ABI version
// first and touches nothing else in a library built against another SDK.
#define DICTLAB_PLUGIN(PluginClass, descriptor_function)                           \
  namespace dictlab_plugin_exports {                                               \
  int abi_version() { return ::dictlab::kSdkAbiVersion; }                          \
  ::dictlab::PluginDescriptor descriptor() {                                       \
    ::dictlab::PluginDescriptor d = descriptor_function();                         \
    d.kind = PluginClass::kKind;                                                   \
    return d;                                                                      \
  }                                                                                \
  std::unique_ptr<::dictlab::Plugin> create() { return std::make_unique<PluginClass>(); } \
  }                                                                                \
  BOOST_DLL_ALIAS(dictlab_plugin_exports::abi_version, dictlab_plugin_abi_version) \
  BOOST_DLL_ALIAS(dictlab_plugin_exports::descriptor, dictlab_plugin_descriptor)   \
  BOOST_DLL_ALIAS(dictlab_plugin_exports::create, dictlab_plugin_create)

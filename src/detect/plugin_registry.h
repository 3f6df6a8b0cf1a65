// SPDX-License-Identifier: Apache-2.0
// File: plugin_registry.h
//
// PluginRegistry: the validators nordpii can call, by name. Built-ins come
// from the static list in plugins/plugin_list.h (no static initialisers);
// third-party validators come from shared objects given with --plugin PATH,
// which export `nordpii_plugin_validators` (plugins/nordpii_plugin.h). A
// plugin whose ABI major differs, or whose validator names clash, is refused
// with an error naming the file; so is an empty path or one that is not a
// regular file (dlopen("") would return the program itself). Immutable and thread-safe after Create();
// keeps loaded objects open for its lifetime.
#ifndef NORDPII_DETECT_PLUGIN_REGISTRY_H_
#define NORDPII_DETECT_PLUGIN_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "nordpii_plugin.h"

namespace nordpii {

class PluginRegistry {
 public:
  static Result<std::shared_ptr<const PluginRegistry>> Create(
      const std::vector<std::string>& plugin_paths);
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // nullptr when unknown.
  const nordpii_validator* Find(const std::string& name) const;
  std::vector<std::string> Names() const;
  const std::vector<const nordpii_validator*>& validators() const { return validators_; }

 private:
  PluginRegistry() = default;
  std::vector<const nordpii_validator*> validators_;
  std::vector<void*> handles_;  // dlopen handles
};

}  // namespace nordpii

#endif  // NORDPII_DETECT_PLUGIN_REGISTRY_H_

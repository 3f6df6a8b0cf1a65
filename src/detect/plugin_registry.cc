// SPDX-License-Identifier: Apache-2.0
#include "detect/plugin_registry.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstddef>

#define NORDPII_PLUGIN(name) extern "C" const nordpii_validator nordpii_validator_##name;
#include "plugin_list.h"
#undef NORDPII_PLUGIN

namespace nordpii {
namespace {

const nordpii_validator* const kBuiltins[] = {
#define NORDPII_PLUGIN(name) &nordpii_validator_##name,
#include "plugin_list.h"
#undef NORDPII_PLUGIN
};

}  // namespace

PluginRegistry::~PluginRegistry() {
  for (void* h : handles_) dlclose(h);
}

Result<std::shared_ptr<const PluginRegistry>> PluginRegistry::Create(
    const std::vector<std::string>& plugin_paths) {
  std::shared_ptr<PluginRegistry> reg(new PluginRegistry());
  for (const nordpii_validator* v : kBuiltins) reg->validators_.push_back(v);
  for (const std::string& given : plugin_paths) {
    // A plugin is a file: dlopen("") returns the program itself and a name
    // without '/' is searched for in the library path, so an empty path or
    // a directory is refused here, and a bare name is taken in the working
    // directory ("./name"), as written.
    if (given.empty()) return Error(ErrorCode::kInvalidArgument, "--plugin: empty path (a plugin is a shared object file)");
    struct stat st {};
    if (::stat(given.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return Error(ErrorCode::kInvalidArgument, "plugin " + given + ": not a regular file (a plugin is a shared object file)");
    const std::string path = given.find('/') == std::string::npos ? "./" + given : given;
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) return Error(ErrorCode::kInvalidArgument, "plugin " + path + ": " + dlerror());
    reg->handles_.push_back(h);
    auto fn = reinterpret_cast<nordpii_get_validators_fn>(dlsym(h, "nordpii_plugin_validators"));
    if (!fn)
      return Error(ErrorCode::kInvalidArgument,
                   "plugin " + path + ": missing symbol nordpii_plugin_validators");
    size_t count = 0;
    const nordpii_validator* list = fn(NORDPII_PLUGIN_ABI_VERSION, &count);
    if (!list)
      return Error(ErrorCode::kInvalidArgument,
                   "plugin " + path + ": does not support ABI version " +
                       std::to_string(NORDPII_PLUGIN_ABI_VERSION));
    // The plugin's struct may be larger than ours (built against a newer
    // minor that appended fields) or, once ours grows, smaller: step by its
    // struct_size and read only the fields every version has (up to
    // `validate`); a field appended later is read only where struct_size
    // shows the plugin has it.
    constexpr size_t kMinSize = offsetof(nordpii_validator, validate) + sizeof(nordpii_validate_fn);
    const size_t stride = count ? list[0].struct_size : 0;
    for (size_t i = 0; i < count; ++i) {
      const nordpii_validator* v =
          reinterpret_cast<const nordpii_validator*>(reinterpret_cast<const char*>(list) + i * stride);
      if (v->struct_size < kMinSize || v->struct_size != stride ||
          v->abi_version / 100 != NORDPII_PLUGIN_ABI_VERSION / 100 || !v->name || !v->validate)
        return Error(ErrorCode::kInvalidArgument,
                     "plugin " + path + ": validator " + std::to_string(i) + " has a bad header");
      if (reg->Find(v->name))
        return Error(ErrorCode::kInvalidArgument,
                     "plugin " + path + ": validator '" + v->name + "' already exists");
      reg->validators_.push_back(v);
    }
  }
  return std::shared_ptr<const PluginRegistry>(std::move(reg));
}

const nordpii_validator* PluginRegistry::Find(const std::string& name) const {
  for (const nordpii_validator* v : validators_)
    if (name == v->name) return v;
  return nullptr;
}

std::vector<std::string> PluginRegistry::Names() const {
  std::vector<std::string> out;
  for (const nordpii_validator* v : validators_) out.push_back(v->name);
  return out;
}

}  // namespace nordpii

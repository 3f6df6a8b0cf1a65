// SPDX-License-Identifier: Apache-2.0
// File: milter_main.h — the `nordpii milter` subcommand (see milter_server.h).
#ifndef NORDPII_APP_MILTER_MAIN_H_
#define NORDPII_APP_MILTER_MAIN_H_

#include <memory>
#include <string>

#include "config/settings.h"

namespace nordpii {

struct MilterOptions {
  std::string listen = "inet:8899@127.0.0.1";
  std::string config;        // policy TOML
  // Patterns, engine, plugins and the HMAC key (loaded once, at start: a
  // SIGHUP reloads patterns and policy, the key stays).
  std::shared_ptr<const Settings> settings;
  bool check = false;        // --check: validate, print the effective policy, exit 0/2
};

// Runs until SIGTERM/SIGINT; returns the exit code (2 on a start-up error).
// With o.check: loads patterns and policy, checks that the users and groups
// named exist, prints the effective policy on stdout and returns 0 (good)
// or 2 (the error, with file:line: key, on stderr) without listening.
int RunMilter(const MilterOptions& o);

}  // namespace nordpii

#endif  // NORDPII_APP_MILTER_MAIN_H_

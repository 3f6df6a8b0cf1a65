// SPDX-License-Identifier: Apache-2.0
// File: milter_main.h — the `nordpii milter` subcommand (see milter_server.h).
#ifndef NORDPII_APP_MILTER_MAIN_H_
#define NORDPII_APP_MILTER_MAIN_H_

#include <string>

namespace nordpii {

struct MilterOptions {
  std::string listen = "inet:8899@127.0.0.1";
  std::string config;        // policy TOML
  std::string patterns_dir;  // pattern files
  std::string key_file;      // HMAC key (else $NORDPII_KEY, else random)
};

// Runs until SIGTERM/SIGINT; returns the exit code (2 on a start-up error).
int RunMilter(const MilterOptions& o);

}  // namespace nordpii

#endif  // NORDPII_APP_MILTER_MAIN_H_

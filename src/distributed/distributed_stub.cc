// SPDX-License-Identifier: Apache-2.0
// Built when libnats (Debian libnats-dev) is missing: the subcommands exist
// and say how to get them (scripts/install-deps.sh --test installs it).
#include <cstdio>

#include "distributed/distributed.h"

namespace nordpii {

namespace {
int Missing() {
  std::fprintf(stderr, "nordpii: built without NATS (install libnats-dev: scripts/install-deps.sh --test, then rebuild)\n");
  return 2;
}
}  // namespace

int RunSubmit(std::shared_ptr<const Scanner>, const BatchOptions&, const SubmitOptions&) { return Missing(); }
int RunWorker(std::shared_ptr<const Scanner>, const BatchOptions&, const WorkerOptions&) { return Missing(); }
int RunCollect(std::shared_ptr<const Scanner>, const BatchOptions&, const CollectOptions&) { return Missing(); }

}  // namespace nordpii

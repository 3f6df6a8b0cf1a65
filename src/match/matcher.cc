// SPDX-License-Identifier: Apache-2.0
#include "match/matcher.h"

namespace nordpii {

Result<std::shared_ptr<const Matcher>> MakeRe2Matcher(const PatternSet& set);
#ifdef NORDPII_HAVE_HYPERSCAN
Result<std::shared_ptr<const Matcher>> MakeHyperscanMatcher(const PatternSet& set);
#endif

bool HyperscanAvailable() {
#ifdef NORDPII_HAVE_HYPERSCAN
  return true;
#else
  return false;
#endif
}

Result<std::shared_ptr<const Matcher>> MakeMatcher(const std::string& engine, const PatternSet& set) {
  if (engine == "re2") return MakeRe2Matcher(set);
  if (engine == "hyperscan" || engine == "auto") {
#ifdef NORDPII_HAVE_HYPERSCAN
    return MakeHyperscanMatcher(set);
#else
    if (engine == "auto") return MakeRe2Matcher(set);
    return Error(ErrorCode::kInvalidArgument, "this build has no Hyperscan; use --engine re2");
#endif
  }
  return Error(ErrorCode::kInvalidArgument, "unknown engine '" + engine + "' (hyperscan, re2, auto)");
}

}  // namespace nordpii

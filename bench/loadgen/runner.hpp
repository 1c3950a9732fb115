// The coordinator: builds identities and connections, walks the phases
// (connect + authenticate, warm-up, measure, drain, close) and fills a report.
#pragma once

#include "options.hpp"
#include "report.hpp"

namespace relay::bench {

/// Runs one load-generator session; throws std::runtime_error on setup failure.
report run(const options& opt);

}  // namespace relay::bench

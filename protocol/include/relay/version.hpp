// Which relay this is: the project version and the commit it was built from
// (what `relay --version` prints and /metrics exports as relay_build_info).
#pragma once

#include <string_view>

namespace relay {

/// The project version, e.g. "0.1.0" (the top-level project() of the build).
std::string_view version() noexcept;

/// The git commit the build was configured from (12 hex digits), or
/// "unknown" when the sources were not a git checkout.
std::string_view git_commit() noexcept;

}  // namespace relay

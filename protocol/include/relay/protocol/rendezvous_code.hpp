// One-time rendezvous codes: `ABC-DEF-GHI`, 9 characters of A-Z0-9 drawn
// uniformly from the CSPRNG (36^9 ~ 1.0e14 possible codes).
#pragma once

#include <string>
#include <string_view>

namespace relay::protocol {

inline constexpr std::size_t rendezvous_code_length = 11;  // 9 symbols + 2 dashes

/// A fresh, uniformly random code.
std::string generate_rendezvous_code();

/// True when `code` has the exact `XXX-XXX-XXX` shape over A-Z0-9.
bool is_well_formed_rendezvous_code(std::string_view code) noexcept;

}  // namespace relay::protocol

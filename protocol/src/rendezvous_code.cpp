#include "relay/protocol/rendezvous_code.hpp"

#include <sodium.h>

#include "relay/protocol/crypto.hpp"

namespace relay::protocol {

namespace {
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::uint32_t alphabet_size = 36;

bool is_code_symbol(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

std::string generate_rendezvous_code() {
  crypto_init();
  std::string code(rendezvous_code_length, '-');
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i == 3 || i == 7) continue;
    // randombytes_uniform avoids modulo bias.
    code[i] = alphabet[randombytes_uniform(alphabet_size)];
  }
  return code;
}

bool is_well_formed_rendezvous_code(std::string_view code) noexcept {
  if (code.size() != rendezvous_code_length) return false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    bool dash = (i == 3 || i == 7);
    if (dash ? code[i] != '-' : !is_code_symbol(code[i])) return false;
  }
  return true;
}

}  // namespace relay::protocol

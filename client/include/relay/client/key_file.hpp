// Identity key files in the reference's format: the CBOR COSE_Key that
// `IdentityKeyPair::to_cose` writes (Ed25519: OKP key with the 32-byte seed
// at label -4; ML-DSA-65: AKP key with the 32-byte seed at label -2). A key
// made by the reference's tools loads here and the other way round.
#pragma once

#include <filesystem>

#include "relay/client/errors.hpp"
#include "relay/protocol/keys.hpp"

namespace relay::client {

/// Reads and checks a key file. Throws key_file_error naming the file and
/// the defect (missing, unreadable, too large, not a key file, public key
/// that does not match the seed).
protocol::identity_key_pair load_key_file(const std::filesystem::path& path);

/// Writes `key` as a key file readable only by its owner (mode 0600). The
/// file appears atomically (written to a temporary file beside it, then
/// linked into place), so a reader never sees half a key. An existing file
/// is replaced only when `overwrite` is set. Throws key_file_error.
void save_key_file(const std::filesystem::path& path, const protocol::identity_key_pair& key,
                   bool overwrite = false);

/// "ed25519" or "ml-dsa-65": the names the CLI uses.
const char* algorithm_name(protocol::key_algorithm alg) noexcept;

}  // namespace relay::client

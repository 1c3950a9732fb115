#include "relay/client/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace relay::client {

namespace {

// An ML-DSA-65 key file is about 2 KB; anything far larger is not a key
// file, and refusing early keeps a mistaken path from being slurped whole.
constexpr std::size_t max_key_file_size = 64 * 1024;

std::string errno_text() { return std::strerror(errno); }

// Closes a descriptor on every path out.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, const protocol::byte_vector& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

const char* algorithm_name(protocol::key_algorithm alg) noexcept {
  return alg == protocol::key_algorithm::ml_dsa_65 ? "ml-dsa-65" : "ed25519";
}

protocol::identity_key_pair load_key_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  fd_guard file{::open(name.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw key_file_error("cannot read key file " + name + ": " + errno_text());
  protocol::byte_vector bytes;
  std::uint8_t chunk[4096];
  for (;;) {
    auto n = ::read(file.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw key_file_error("cannot read key file " + name + ": " + errno_text());
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (bytes.size() > max_key_file_size) throw key_file_error("key file " + name + " is too large to be a key file");
  }
  if (bytes.empty()) throw key_file_error("key file " + name + " is empty");
  auto key = protocol::identity_key_pair::from_cose(bytes);
  // Wipe the seed we read: the key pair object keeps its own copy.
  std::fill(bytes.begin(), bytes.end(), std::uint8_t{0});
  if (!key)
    throw key_file_error("key file " + name +
                         " is not a valid identity key (expected the COSE key format of the reference's "
                         "IdentityKeyPair::to_cose, Ed25519 or ML-DSA-65)");
  return std::move(*key);
}

void save_key_file(const std::filesystem::path& path, const protocol::identity_key_pair& key, bool overwrite) {
  const std::string name = path.string();
  auto dir = path.parent_path();
  // mkstemp creates the file with mode 0600, so the secret is never
  // readable by others, not even for a moment.
  std::string temp = ((dir.empty() ? std::filesystem::path{"."} : dir) / ("." + path.filename().string() + ".XXXXXX")).string();
  fd_guard file{::mkstemp(temp.data())};
  if (file.fd < 0) throw key_file_error("cannot write key file " + name + ": " + errno_text());
  auto bytes = key.to_cose();
  bool ok = write_all(file.fd, bytes) && ::fsync(file.fd) == 0;
  std::fill(bytes.begin(), bytes.end(), std::uint8_t{0});
  if (!ok) {
    auto why = errno_text();
    ::unlink(temp.c_str());
    throw key_file_error("cannot write key file " + name + ": " + why);
  }
  // link() refuses an existing target atomically, rename() replaces it.
  int placed = overwrite ? ::rename(temp.c_str(), name.c_str()) : ::link(temp.c_str(), name.c_str());
  int placed_errno = errno;
  if (!overwrite || placed != 0) ::unlink(temp.c_str());
  if (placed != 0) {
    if (placed_errno == EEXIST) throw key_file_error("key file " + name + " already exists (not overwritten)");
    throw key_file_error("cannot write key file " + name + ": " + std::strerror(placed_errno));
  }
}

}  // namespace relay::client

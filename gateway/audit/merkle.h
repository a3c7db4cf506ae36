#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

// The Merkle tree of RFC 9162 (Certificate Transparency 2.0) section 2.1, over SHA-256:
//   leaf hash  = SHA-256(0x00 || leaf data)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n.
// Pure: no I/O. The proof algorithms work on "perfect subtrees" (a range [begin, end) whose length
// is a power of two and whose begin is a multiple of it), which is all a tree needs to cache; the
// verification functions follow the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2.
namespace brygga::audit::merkle {

using Hash = std::array<unsigned char, 32>;

Hash leafHash(std::string_view data);
Hash nodeHash(const Hash& left, const Hash& right);
Hash emptyRoot();

std::string toHex(const Hash& hash);
// 64 hex digits / 44 characters of base64; kInvalidArgument otherwise.
core::StatusOr<Hash> fromHex(std::string_view hex);
std::string toBase64(const Hash& hash);
core::StatusOr<Hash> fromBase64(std::string_view text);

// The hash of the perfect subtree [begin, end): called only with end - begin a power of two and
// begin a multiple of it, inside the tree the algorithm was asked about.
using PerfectSubtree = std::function<Hash(uint64_t begin, uint64_t end)>;

// MTH(D[0:size]).
Hash rootHash(uint64_t size, const PerfectSubtree& perfect);
// PATH(index, D[0:size]) (RFC 9162 2.1.3.1), leaf to root; requires index < size.
std::vector<Hash> inclusionProof(uint64_t index, uint64_t size, const PerfectSubtree& perfect);
// PROOF(size1, D[0:size2]) (RFC 9162 2.1.4.1); requires 0 < size1 <= size2 (empty when equal).
std::vector<Hash> consistencyProof(uint64_t size1, uint64_t size2, const PerfectSubtree& perfect);

// The same over leaf hashes held in memory (O(n) per call; tests and small trees).
Hash rootHash(std::span<const Hash> leaves);
std::vector<Hash> inclusionProof(uint64_t index, std::span<const Hash> leaves);
std::vector<Hash> consistencyProof(uint64_t size1, std::span<const Hash> leaves);

// RFC 9162 2.1.3.2: true when `proof` shows that `leaf` is at `index` in the tree of `size`
// leaves whose root is `root`.
bool verifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                     const Hash& root);
// RFC 9162 2.1.4.2: true when `proof` shows that the tree of size1 leaves with root1 is a prefix
// of the tree of size2 leaves with root2. Beyond the RFC (which requires 0 < size1 < size2):
// size1 == size2 holds with an empty proof and equal roots; size1 == 0 holds with an empty proof
// (every tree extends the empty one).
bool verifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                       std::span<const Hash> proof);

// Root of a log read front to back, without keeping its leaves: the perfect subtrees of the
// prefix read so far (at most 64). `audit verify` streams a million records through this.
class StreamingRoot {
 public:
  void append(const Hash& leaf);
  uint64_t size() const { return size_; }
  // MTH of everything appended.
  Hash root() const;

 private:
  struct Subtree {
    int height;
    Hash hash;
  };
  std::vector<Subtree> stack_;  // left to right, strictly decreasing heights
  uint64_t size_ = 0;
};

// An append-only tree that answers roots and proofs for any size it has reached in O(log n)
// hashes. It keeps in memory the hashes of perfect subtrees of at least kBlockLeaves leaves
// (about 2n / kBlockLeaves hashes) and the leaves of the last, incomplete block; leaves of
// complete blocks are read back through `LeafReader` when a proof needs them (at most a couple of
// blocks per call). Not thread-safe.
class MerkleTree {
 public:
  static constexpr int kBlockHeight = 8;
  static constexpr uint64_t kBlockLeaves = uint64_t{1} << kBlockHeight;

  // Leaf hashes [begin, end) of a complete block (begin a multiple of kBlockLeaves).
  using LeafReader = std::function<core::StatusOr<std::vector<Hash>>(uint64_t begin, uint64_t end)>;

  explicit MerkleTree(LeafReader reader) : reader_(std::move(reader)) {}

  void append(const Hash& leaf);
  uint64_t size() const { return size_; }

  // size <= this->size(); errors only from the LeafReader (or a size beyond the tree).
  core::StatusOr<Hash> root(uint64_t size) const;
  core::StatusOr<std::vector<Hash>> inclusionProof(uint64_t index, uint64_t size) const;
  core::StatusOr<std::vector<Hash>> consistencyProof(uint64_t size1, uint64_t size2) const;
  core::StatusOr<Hash> leaf(uint64_t index) const;

 private:
  class Lookup;

  LeafReader reader_;
  uint64_t size_ = 0;
  std::vector<Hash> tail_;                 // leaves of the incomplete last block
  std::vector<std::vector<Hash>> levels_;  // levels_[i]: perfect subtrees of height kBlockHeight+i
};

}  // namespace brygga::audit::merkle

#include "gateway/audit/signed_note.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "gateway/core/openssl_ptr.h"
#include "gateway/core/text.h"

namespace brygga::audit {

namespace {

constexpr unsigned char kAlgEd25519 = 0x01;
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr size_t kMaxSignatures = 100;
constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

core::Status bad(const std::string& what) {
  return core::invalidArgument(what);
}

// Calls `f` with each code point of `s`; false when `s` is not valid UTF-8 (overlong forms and
// surrogates included) or `f` returns false.
template <typename F>
bool forEachCodePoint(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    uint32_t cp = c;
    if (c >= 0x80) {
      if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
      } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
      } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (i + len > s.size()) return false;
      for (size_t j = 1; j < len; ++j) {
        const unsigned char d = static_cast<unsigned char>(s[i + j]);
        if ((d & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (d & 0x3f);
      }
      const uint32_t minimum = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
      if (cp < minimum || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    }
    if (!f(cp)) return false;
    i += len;
  }
  return true;
}

bool isControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

// Unicode White_Space, as signed-note key names must not contain it.
bool isSpace(uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000;
}

// UTF-8 without control characters other than newline, as signed-note texts must be.
bool isNoteText(std::string_view s) {
  return forEachCodePoint(s, [](uint32_t cp) { return cp == '\n' || !isControl(cp); });
}

uint32_t keyIdOf(const std::string& name, std::string_view publicKey) {
  std::string material = name;
  material += '\n';
  material += static_cast<char>(kAlgEd25519);
  material += publicKey;
  const std::string digest = core::sha256(material);
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(digest[i]);
  return id;
}

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string readBio(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

core::StatusOr<std::string> rawPublicKey(EVP_PKEY* key) {
  unsigned char raw[kEd25519KeyBytes];
  size_t length = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &length) != 1 || length != kEd25519KeyBytes) {
    return core::internalError("cannot read the Ed25519 public key");
  }
  return std::string(reinterpret_cast<const char*>(raw), length);
}

}  // namespace

core::StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::notFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool isValidKeyName(std::string_view name) {
  return !name.empty() && forEachCodePoint(name, [](uint32_t cp) {
    return cp != '+' && !isSpace(cp) && !isControl(cp);
  });
}

core::StatusOr<SignedNote> parseSignedNote(std::string_view note) {
  if (!isNoteText(note)) return bad("signed note: not UTF-8 text without control characters");
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return bad("signed note: no blank line before signatures");
  SignedNote out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  if (rest.empty() || rest.back() != '\n') return bad("signed note: must end in a newline");
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 1);
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return bad("signed note: a signature line must start with an em dash and a space");
    }
    line.remove_prefix(kSignaturePrefix.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return bad("signed note: signature line without key");
    NoteSignature sig;
    sig.name = std::string(line.substr(0, space));
    if (!isValidKeyName(sig.name)) return bad("signed note: invalid key name in a signature");
    auto decoded = core::base64Decode(line.substr(space + 1));
    if (!decoded.isOk() || decoded->size() < 5) return bad("signed note: malformed signature");
    for (int i = 0; i < 4; ++i) {
      sig.keyId = (sig.keyId << 8) | static_cast<unsigned char>((*decoded)[i]);
    }
    sig.signature = decoded->substr(4);
    out.signatures.push_back(std::move(sig));
    if (out.signatures.size() > kMaxSignatures) return bad("signed note: too many signatures");
  }
  return out;
}

// --- NoteVerifier --------------------------------------------------------------------------------

core::StatusOr<NoteVerifier> NoteVerifier::fromRawPublicKey(const std::string& name,
                                                            std::string_view key32) {
  if (!isValidKeyName(name)) return bad("key name '" + name + "' is not a valid signed-note name");
  if (key32.size() != kEd25519KeyBytes) return bad("an Ed25519 public key has 32 bytes");
  NoteVerifier v;
  v.name_ = name;
  v.publicKey_ = std::string(key32);
  v.keyId_ = keyIdOf(name, key32);
  return v;
}

core::StatusOr<NoteVerifier> NoteVerifier::fromVkey(std::string_view vkey) {
  const size_t first = vkey.find('+');
  const size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) return bad("verifier key: expected name+id+key");
  const std::string name(vkey.substr(0, first));
  const std::string_view id = vkey.substr(first + 1, second - first - 1);
  auto key = core::base64Decode(vkey.substr(second + 1));
  if (!key.isOk() || key->size() != kEd25519KeyBytes + 1) return bad("verifier key: malformed key");
  if (static_cast<unsigned char>((*key)[0]) != kAlgEd25519) {
    return bad("verifier key: only Ed25519 (type 0x01) keys are supported");
  }
  BRYGGA_ASSIGN_OR_RETURN(NoteVerifier v, fromRawPublicKey(name, key->substr(1)));
  if (id != hex8(v.keyId_)) return bad("verifier key: the key id does not match name and key");
  return v;
}

core::StatusOr<NoteVerifier> NoteVerifier::fromPublicKeyPem(const std::string& name,
                                                            std::string_view pem) {
  core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  core::PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return bad("not a PEM public key");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) return bad("the public key is not Ed25519");
  BRYGGA_ASSIGN_OR_RETURN(std::string raw, rawPublicKey(key.get()));
  return fromRawPublicKey(name, raw);
}

std::string NoteVerifier::vkey() const {
  return name_ + "+" + hex8(keyId_) + "+" +
         core::base64Encode(std::string(1, static_cast<char>(kAlgEd25519)) + publicKey_);
}

std::string NoteVerifier::publicKeyPem() const {
  core::PkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(publicKey_.data()),
      publicKey_.size()));
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return {};
  return readBio(bio.get());
}

core::Status NoteVerifier::verify(const SignedNote& note) const {
  core::PkeyPtr key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(publicKey_.data()),
      publicKey_.size()));
  if (!key) return core::internalError("cannot load the Ed25519 public key");
  // As Go's note.Open: the first line by this key decides; later ones are not consulted.
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != name_ || sig.keyId != keyId_) continue;
    core::MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
      return core::internalError("cannot set up Ed25519 verification");
    }
    if (sig.signature.size() == kEd25519SignatureBytes &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.signature.data()),
                         sig.signature.size(),
                         reinterpret_cast<const unsigned char*>(note.text.data()),
                         note.text.size()) == 1) {
      return core::Status::ok();
    }
    return core::unauthenticated("the signature of key " + name_ + " does not verify");
  }
  return core::unauthenticated("the note has no signature by key " + name_ + "+" + hex8(keyId_));
}

// --- NoteSigner ----------------------------------------------------------------------------------

struct NoteSigner::Key {
  core::PkeyPtr pkey;
};

core::StatusOr<std::string> NoteSigner::generatePrivateKeyPem() {
  core::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return core::internalError("OpenSSL could not make an Ed25519 key");
  }
  return readBio(bio.get());
}

core::StatusOr<NoteSigner> NoteSigner::fromPrivateKeyPem(const std::string& name,
                                                         std::string_view pem) {
  core::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  core::PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return bad("not a PEM private key (or one protected by a passphrase)");
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return bad("the audit signing key must be an Ed25519 key");
  }
  BRYGGA_ASSIGN_OR_RETURN(std::string raw, rawPublicKey(key.get()));
  BRYGGA_ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::fromRawPublicKey(name, raw));
  NoteSigner signer;
  signer.key_ = std::make_shared<Key>(Key{std::move(key)});
  signer.verifier_ = std::move(verifier);
  return signer;
}

core::StatusOr<NoteSigner> NoteSigner::loadOrCreate(const std::string& name,
                                                    const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return core::internalError("cannot read the audit signing key " + path + ": " +
                                 std::strerror(errno));
    }
    BRYGGA_ASSIGN_OR_RETURN(std::string pem, generatePrivateKeyPem());
    // O_EXCL: two processes starting at once must not both write a key; the loser reads the
    // winner's below.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
      const bool synced = ::fsync(fd) == 0;
      ::close(fd);
      if (!written || !synced) {
        ::unlink(path.c_str());
        return core::internalError("cannot write the audit signing key " + path);
      }
    } else if (errno != EEXIST) {
      return core::internalError("cannot create the audit signing key " + path + ": " +
                                 std::strerror(errno));
    }
  }
  auto pem = readFile(path);
  if (!pem.isOk()) return core::internalError("cannot read the audit signing key " + path);
  auto signer = fromPrivateKeyPem(name, *pem);
  if (!signer.isOk()) return bad("audit signing key " + path + ": " + signer.status().message());
  return signer;
}

core::StatusOr<std::string> NoteSigner::sign(std::string_view text) const {
  if (!key_) return core::internalError("no signing key");
  if (text.empty() || text.back() != '\n' || !isNoteText(text) ||
      text.find("\n\n") != std::string_view::npos) {
    return bad("a note text must be non-empty UTF-8 lines without blank lines, ending in newline");
  }
  core::MdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char sig[kEd25519SignatureBytes];
  size_t length = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &length, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size()) != 1 ||
      length != kEd25519SignatureBytes) {
    return core::internalError("Ed25519 signing failed");
  }
  std::string blob;
  const uint32_t id = verifier_.keyId();
  for (int shift = 24; shift >= 0; shift -= 8) blob += static_cast<char>((id >> shift) & 0xff);
  blob.append(reinterpret_cast<const char*>(sig), length);
  std::string note(text);
  note += '\n';
  note += kSignaturePrefix;
  note += verifier_.name();
  note += ' ';
  note += core::base64Encode(blob);
  note += '\n';
  return note;
}

// --- Checkpoints ---------------------------------------------------------------------------------

std::string formatCheckpoint(const Checkpoint& c) {
  std::string out =
      c.origin + "\n" + std::to_string(c.size) + "\n" + merkle::toBase64(c.root) + "\n";
  for (const std::string& line : c.extensions) out += line + "\n";
  return out;
}

core::StatusOr<uint64_t> parseTreeSize(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) {
    return bad("tree size must be a decimal number without leading zeros");
  }
  uint64_t n = 0;
  for (const char ch : text) {
    if (!core::isAsciiDigit(ch)) return bad("tree size must be a decimal number");
    n = n * 10 + static_cast<uint64_t>(ch - '0');
  }
  return n;
}

core::StatusOr<Checkpoint> parseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') return bad("checkpoint: must end in a newline");
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t eol = text.find('\n', start);
    lines.push_back(text.substr(start, eol - start));
    start = eol + 1;
  }
  if (lines.size() < 3) return bad("checkpoint: needs origin, tree size and root hash lines");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return bad("checkpoint: empty origin");
  auto size = parseTreeSize(lines[1]);
  if (!size.isOk()) return bad("checkpoint: " + size.status().message());
  c.size = *size;
  auto root = merkle::fromBase64(lines[2]);
  if (!root.isOk()) return bad("checkpoint: root hash must be 32 bytes in base64");
  c.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad("checkpoint: empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

core::StatusOr<Checkpoint> openCheckpoint(std::string_view note, const NoteVerifier& verifier,
                                          const std::string& origin) {
  BRYGGA_ASSIGN_OR_RETURN(SignedNote parsed, parseSignedNote(note));
  BRYGGA_RETURN_IF_ERROR(verifier.verify(parsed));
  BRYGGA_ASSIGN_OR_RETURN(Checkpoint checkpoint, parseCheckpoint(parsed.text));
  if (checkpoint.origin != origin) {
    return bad("checkpoint: origin is '" + checkpoint.origin + "', expected '" + origin + "'");
  }
  return checkpoint;
}

}  // namespace brygga::audit

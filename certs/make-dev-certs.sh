#!/usr/bin/env bash
# Makes Brygga's development PKI with the openssl CLI: a dev CA, a localhost server certificate,
# one client certificate per dev client, an unrelated CA + client for rejection tests, and the
# audit log's signing key. For development and tests only; production certificates come from
# SITHS / Inera (see certs/README.md).
#
# Usage: certs/make-dev-certs.sh [--force] [OUTDIR]
#   OUTDIR   where to write (default: certs/out in the repo root, which is gitignored)
#   --force  regenerate everything even if a complete, unexpired set exists
set -euo pipefail

readonly kClients=(kungsbacka varberg falkenberg halmstad laholm hylte region integration)
readonly kOrg="Brygga Dev"
readonly kCaDays=3650
# Leaves are short enough to look like real certificates but long enough not to bother anyone;
# an existing set that expires within kRenewSeconds is regenerated on the next run.
readonly kLeafDays=825
readonly kRenewSeconds=$((30 * 24 * 3600))

usage() {
  sed -n '2,9s/^# \{0,1\}//p' "$0"
}

force=0
outdir=""
while (($# > 0)); do
  case "$1" in
    --force) force=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      echo "make-dev-certs: unknown option: $1" >&2
      usage >&2
      exit 2
      ;;
    *)
      if [[ -n "$outdir" ]]; then
        echo "make-dev-certs: only one OUTDIR may be given" >&2
        exit 2
      fi
      outdir="$1"
      ;;
  esac
  shift
done

if ! command -v openssl >/dev/null 2>&1; then
  echo "make-dev-certs: openssl not found (run scripts/setup.sh)" >&2
  exit 1
fi

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
outdir="${outdir:-$repo_root/certs/out}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

# Every file the set consists of; a partial set is regenerated whole so that all certificates
# always come from the same CA.
expected_files=(ca.key ca.crt server.key server.crt)
for name in "${kClients[@]}"; do
  expected_files+=("$name.key" "$name.crt" "$name.pem")
done
expected_files+=(audit-signing.key audit-signing.crt untrusted-ca.key untrusted-ca.crt
  untrusted-client.key untrusted-client.crt untrusted-client.pem)

set_is_complete() {
  local f
  for f in "${expected_files[@]}"; do
    [[ -s "$outdir/$f" ]] || return 1
  done
  for f in "${expected_files[@]}"; do
    if [[ "$f" == *.crt ]]; then
      openssl x509 -noout -checkend "$kRenewSeconds" -in "$outdir/$f" >/dev/null 2>&1 || return 1
    fi
  done
  return 0
}

# Serialise concurrent runs into the same OUTDIR (e.g. scripts/run.sh next to a test fixture).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$outdir/.make-dev-certs.lock"
  flock 9
fi

if ((force == 0)) && set_is_complete; then
  echo "make-dev-certs: certificates already present in $outdir (use --force to regenerate)"
  exit 0
fi

# Build the new set in a private staging directory and move it into place at the end, so a
# failure half-way never leaves a mixed set behind.
umask 077
stage="$(mktemp -d "$outdir/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

# A self-contained config so neither the system openssl.cnf nor OPENSSL_CONF changes the result.
cat >"$stage/openssl.cnf" <<'EOF'
[req]
distinguished_name = req_dn
prompt = no
utf8 = yes
string_mask = utf8only

[req_dn]

[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[signing]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

# Runs a command silently; shows its output only when it fails.
quiet() {
  local log
  if ! log="$("$@" 2>&1)"; then
    echo "make-dev-certs: failed: $*" >&2
    echo "$log" >&2
    return 1
  fi
}

# All keys are EC P-256: small, fast to make, and accepted by OpenSSL, POCO and curl.
new_ec_key() {  # path
  quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

new_ca() {  # basename subject
  local base="$1" subject="$2"
  new_ec_key "$stage/$base.key"
  quiet openssl req -new -x509 -config "$stage/openssl.cnf" -extensions v3_ca -sha256 \
    -key "$stage/$base.key" -subj "$subject" -days "$kCaDays" \
    -set_serial "0x$(openssl rand -hex 16)" -out "$stage/$base.crt"
}

new_leaf() {  # basename subject extension-section ca-basename [pem]
  local base="$1" subject="$2" section="$3" ca="$4" pem="${5:-}"
  new_ec_key "$stage/$base.key"
  quiet openssl req -new -config "$stage/openssl.cnf" -key "$stage/$base.key" -subj "$subject" \
    -out "$stage/$base.csr"
  quiet openssl x509 -req -in "$stage/$base.csr" -sha256 -days "$kLeafDays" \
    -CA "$stage/$ca.crt" -CAkey "$stage/$ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile "$stage/openssl.cnf" -extensions "$section" -out "$stage/$base.crt"
  rm -f "$stage/$base.csr"
  if [[ -n "$pem" ]]; then
    cat "$stage/$base.crt" "$stage/$base.key" >"$stage/$base.pem"
  fi
}

new_ca ca "/C=SE/O=$kOrg/CN=Brygga Dev CA"
new_leaf server "/C=SE/O=$kOrg/CN=localhost" server ca
for name in "${kClients[@]}"; do
  new_leaf "$name" "/C=SE/O=$kOrg/CN=$name" client ca pem
done
new_leaf audit-signing "/C=SE/O=$kOrg/CN=Brygga Dev Audit Signing" signing ca

# A CA the gateway does not trust, and a client certificate from it that must be rejected even
# though its subject looks like ours.
new_ca untrusted-ca "/C=SE/O=Untrusted Dev/CN=Untrusted Dev CA"
new_leaf untrusted-client "/C=SE/O=$kOrg/CN=intruder" client untrusted-ca pem

# Private keys and the combined cert+key files stay owner-only; certificates are public.
for f in "${expected_files[@]}"; do
  case "$f" in
    *.key | *.pem) chmod 0600 "$stage/$f" ;;
    *) chmod 0644 "$stage/$f" ;;
  esac
done
for f in "${expected_files[@]}"; do
  mv -f "$stage/$f" "$outdir/$f"
done

echo "make-dev-certs: wrote a new development PKI to $outdir"
for f in "${expected_files[@]}"; do
  if [[ "$f" == *.crt ]]; then
    subject="$(openssl x509 -noout -subject -nameopt RFC2253 -in "$outdir/$f")"
    printf '  %-26s %s\n' "$f" "${subject#subject=}"
  else
    printf '  %-26s %s\n' "$f" "$([[ "$f" == *.key ]] && echo "private key (0600)" ||
      echo "certificate + private key (0600)")"
  fi
done

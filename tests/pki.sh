#!/bin/bash
# Mints the test PKI into OUTDIR with the openssl CLI (EC P-256):
#   root.pem/.key            trusted test root (ctstub gets it as ca-file)
#   inter.pem/.key           intermediate signed by root
#   untrusted-root.pem/.key  a second root ctstub is never told about
#   untrusted-inter.pem/.key intermediate under the untrusted root
#   NAME.pem/.key            leaves; NAME.pem is the chain to serve
#                            (leaf, then its intermediate):
#     good       IP 127.0.0.1, IP ::1, DNS dns.example.test
#     wrong-ip   IP 127.0.0.9
#     name-only  DNS dns.example.test
#     untrusted  IP 127.0.0.1, under untrusted-root
# Validity: from yesterday, for 90 days (tolerates clock skew).
# openssl ca is used because openssl x509 in 3.0 cannot set notBefore.
set -eu

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
OUT=$1
STATE=$OUT/.ca
NOT_BEFORE=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
NOT_AFTER=$(date -u -d '89 days' +%Y%m%d%H%M%SZ)

# One openssl-ca configuration for every signer; the signer's state
# directory and the leaf's SAN come from the environment.
write_ca_conf() {
	cat >"$STATE/ca.cnf" <<'EOF'
[ ca ]
default_ca = signer
[ signer ]
dir = $ENV::CA_DIR
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ ext_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ext_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::SAN
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
EOF
}

new_key() { # NAME
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$OUT/$1.key" 2>/dev/null
}

# sign NAME ISSUER EXTENSIONS SAN: NAME.key -> NAME.crt, signed by ISSUER
# (ISSUER = NAME means self-signed).
sign() {
	local name=$1 issuer=$2 ext=$3 san=${4:-} selfsign=
	export CA_DIR=$STATE/$issuer SAN=${san:-DNS:unused.invalid}
	mkdir -p "$CA_DIR"
	[ -e "$CA_DIR/serial" ] || {
		: >"$CA_DIR/index.txt"
		openssl rand -hex 8 >"$CA_DIR/serial"
	}
	openssl req -new -config "$STATE/ca.cnf" -key "$OUT/$name.key" \
	    -subj "/CN=ctstub test $name" -out "$STATE/$name.csr"
	[ "$name" = "$issuer" ] && selfsign=-selfsign
	openssl ca -batch -notext -config "$STATE/ca.cnf" $selfsign \
	    -cert "$OUT/$issuer.pem" -keyfile "$OUT/$issuer.key" \
	    -extensions "$ext" -startdate "$NOT_BEFORE" -enddate "$NOT_AFTER" \
	    -in "$STATE/$name.csr" -out "$OUT/$name.crt" 2>/dev/null
}

mint_root() { # NAME
	new_key "$1"
	sign "$1" "$1" ext_ca
	mv "$OUT/$1.crt" "$OUT/$1.pem"
}

mint_inter() { # NAME ROOT
	new_key "$1"
	sign "$1" "$2" ext_ca
	mv "$OUT/$1.crt" "$OUT/$1.pem"
}

mint_leaf() { # NAME INTER SAN
	new_key "$1"
	sign "$1" "$2" ext_leaf "$3"
	cat "$OUT/$1.crt" "$OUT/$2.pem" >"$OUT/$1.pem"
	rm -f "$OUT/$1.crt"
}

rm -rf "$STATE"
mkdir -p "$STATE"
write_ca_conf
mint_root root
mint_inter inter root
mint_root untrusted-root
mint_inter untrusted-inter untrusted-root
mint_leaf good inter 'IP:127.0.0.1, IP:::1, DNS:dns.example.test'
mint_leaf wrong-ip inter 'IP:127.0.0.9'
mint_leaf name-only inter 'DNS:dns.example.test'
mint_leaf untrusted untrusted-inter 'IP:127.0.0.1'
rm -rf "$STATE"

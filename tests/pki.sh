#!/bin/sh
# Test certificates made with the openssl command line.
#
#   sh tests/pki.sh DIR               a CA and a server certificate
#   sh tests/pki.sh DIR client NAME   also a client certificate NAME
#
# Creates, when absent (existing files are kept, so runs are cheap):
#   DIR/ca.pem DIR/ca.key             self-signed CA (EC P-256)
#   DIR/ca.b64                        base64 of ca.pem on one line, as
#                                     kubeconfig's certificate-authority-data
#   DIR/server.pem DIR/server.key     server certificate signed by the CA,
#                                     for the SANs in $PKI_SANS (default
#                                     DNS:localhost,IP:127.0.0.1)
#   DIR/NAME.pem DIR/NAME.key         with "client NAME": a clientAuth
#                                     certificate with CN=NAME
# Keys are mode 0600.  Concurrent runs on one DIR are serialised by a lock
# directory.  Quiet on success, loud on failure.

set -u

SANS=${PKI_SANS:-DNS:localhost,IP:127.0.0.1}
DAYS=${PKI_DAYS:-825}
LOCK_WAIT=30	# seconds

die()
{
	echo "pki.sh: $*" >&2
	exit 1
}

usage()
{
	echo "usage: sh tests/pki.sh DIR [client NAME]" >&2
	exit 2
}

[ $# -eq 1 ] || [ $# -eq 3 ] || usage
DIR=$1
CLIENT=
if [ $# -eq 3 ]; then
	[ "$2" = client ] || usage
	CLIENT=$3
	case $CLIENT in
	''|*[!A-Za-z0-9._-]*|ca|server) die "bad client name: $CLIENT" ;;
	esac
fi

command -v openssl >/dev/null 2>&1 || die "openssl not found"
mkdir -p "$DIR" || die "cannot create $DIR"
umask 077

# A lock directory: mkdir is atomic.
n=0
while ! mkdir "$DIR/.pki.lock" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le $((LOCK_WAIT * 10)) ] || die "$DIR/.pki.lock held too long"
	sleep 0.1
done
cleanup()
{
	rm -rf "$DIR/.pki.lock" "$DIR"/.pki.tmp.*
}
trap cleanup EXIT
trap 'exit 1' INT TERM
TMP=$DIR/.pki.tmp.$$

newkey()
{
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>"$TMP.err" || { cat "$TMP.err" >&2; die "genpkey"; }
}

serial()
{
	echo "0x$(openssl rand -hex 12)"
}

# sign CSR OUT EXTFILE
sign()
{
	openssl x509 -req -in "$1" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
	    -set_serial "$(serial)" -days "$DAYS" -sha256 -extfile "$3" \
	    -out "$2" 2>"$TMP.err" || { cat "$TMP.err" >&2; die "sign $2"; }
}

if [ ! -s "$DIR/ca.pem" ] || [ ! -s "$DIR/ca.key" ]; then
	newkey "$TMP.ca.key"
	openssl req -x509 -new -key "$TMP.ca.key" -subj "/CN=kubesim test CA" \
	    -days "$DAYS" -sha256 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$TMP.ca.pem" 2>"$TMP.err" || { cat "$TMP.err" >&2;
	    die "CA certificate"; }
	mv "$TMP.ca.key" "$DIR/ca.key" && mv "$TMP.ca.pem" "$DIR/ca.pem" ||
	    die "cannot write the CA"
	rm -f "$DIR/ca.b64" "$DIR/server.pem"
fi

if [ ! -s "$DIR/ca.b64" ]; then
	openssl base64 -A -in "$DIR/ca.pem" >"$TMP.b64" &&
	    echo >>"$TMP.b64" && mv "$TMP.b64" "$DIR/ca.b64" ||
	    die "cannot write ca.b64"
	chmod 644 "$DIR/ca.b64" "$DIR/ca.pem"
fi

if [ ! -s "$DIR/server.pem" ] || [ ! -s "$DIR/server.key" ]; then
	newkey "$TMP.server.key"
	openssl req -new -key "$TMP.server.key" -subj "/CN=localhost" \
	    -out "$TMP.server.csr" 2>"$TMP.err" || { cat "$TMP.err" >&2;
	    die "server CSR"; }
	cat >"$TMP.server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$SANS
EOF
	sign "$TMP.server.csr" "$TMP.server.pem" "$TMP.server.ext"
	mv "$TMP.server.key" "$DIR/server.key" &&
	    mv "$TMP.server.pem" "$DIR/server.pem" ||
	    die "cannot write the server certificate"
	chmod 644 "$DIR/server.pem"
fi

if [ -n "$CLIENT" ] && { [ ! -s "$DIR/$CLIENT.pem" ] ||
    [ ! -s "$DIR/$CLIENT.key" ]; }; then
	newkey "$TMP.client.key"
	openssl req -new -key "$TMP.client.key" -subj "/CN=$CLIENT" \
	    -out "$TMP.client.csr" 2>"$TMP.err" || { cat "$TMP.err" >&2;
	    die "client CSR"; }
	cat >"$TMP.client.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EOF
	sign "$TMP.client.csr" "$TMP.client.pem" "$TMP.client.ext"
	mv "$TMP.client.key" "$DIR/$CLIENT.key" &&
	    mv "$TMP.client.pem" "$DIR/$CLIENT.pem" ||
	    die "cannot write the client certificate"
	chmod 644 "$DIR/$CLIENT.pem"
fi
exit 0

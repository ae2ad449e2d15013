#!/bin/sh
# Install the Debian 12 packages the build and the tests need, if missing.
# Runs as root on CI; elsewhere it uses sudo when there is one.
set -eu

PKGS="build-essential pkg-config clang git
libfcgi-dev spawn-fcgi lighttpd apache2-utils
libjansson-dev libyaml-dev libcurl4-openssl-dev libmariadb-dev uuid-dev
libjwt-dev check libsubunit-dev
mariadb-server mariadb-client
libmicrohttpd-dev libgnutls28-dev openssl curl jq wrk valgrind
lighttpd-mod-openssl apache2 chromium fonts-liberation libnss3-tools
prometheus
systemd"
# Node.js and npm (Swagger UI's files, the browser and contract tests),
# unless some Node.js with npm is there already (NodeSource's package
# conflicts with Debian's npm).
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps.sh: missing packages:$missing (run as root)" >&2
		exit 1
	}
	SUDO=sudo
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The packaged MariaDB service is not used (tests start their own server);
# policy-rc.d keeps the postinst from starting it where that is possible.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

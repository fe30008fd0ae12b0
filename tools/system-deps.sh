#!/bin/sh
# Install the Debian packages MitraPlan's app and tests need, when run as root on Debian/Ubuntu.
# Qt offscreen + Xvfb libraries (DESIGN.md, Known traps), DICOM validators (dicom3tools, dcmtk),
# Orthanc for the PACS tests, poppler for reading PDFs back. Idempotent: only missing packages are fetched.
set -e
PKGS="libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0 \
libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-render0 \
libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth fonts-dejavu-core \
dicom3tools dcmtk orthanc orthanc-dicomweb poppler-utils"
command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian system; install the equivalents of: $PKGS" >&2; exit 0; }
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages:$missing (run 'make test' as root, or: sudo apt-get install$missing)" >&2
  exit 0
fi
echo "system-deps: installing$missing" >&2
# Orthanc's postinst tries to start a service; in a container without systemd keep it from doing so.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$created_policy" ] && rm -f "$policy"
# The packaged Orthanc service is not used: the tests run their own instance on loopback.
pkill -x Orthanc 2>/dev/null || true
exit 0

#!/usr/bin/env bash
# Debian packages the suite needs outside Python: fonts with full Vietnamese coverage (Typst embeds them),
# poppler (pdftotext/pdffonts for PDF checks), LibreOffice Calc (workbook round-trip test) and Chromium
# (JupyterLab browser test). Installs only what is missing; needs root (or does nothing and says so).
set -euo pipefail
pkgs=(fontconfig fonts-liberation2 fonts-dejavu-core fonts-noto-core
      poppler-utils)
[ "${1:-}" = "--full" ] && pkgs+=(libreoffice-calc-nogui chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "tthc: missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 0
fi
echo "tthc: installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

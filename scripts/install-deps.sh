#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages nordpii needs to build, test and benchmark.
# Idempotent: only missing packages are installed. Needs root (or sudo) when something is missing.
set -eu
# What building nordpii and scanning needs (scripts/quickstart.sh): the
# libraries, poppler and qpdf for the PDF helper program, libgsf for legacy .doc/.xls/.ppt,
# libseccomp for the helpers' sandbox, nlohmann-json for the batch report's JSON, zlib for
# gzip attachments.
PKGS="build-essential cmake pkg-config libgumbo-dev libre2-dev libhyperscan-dev libicu-dev libssl-dev \
libcli11-dev libtomlplusplus-dev libsimdjson-dev libarchive-dev libxml2-dev libpoppler-cpp-dev libqpdf-dev libgsf-1-dev libseccomp-dev nlohmann-json3-dev zlib1g-dev"
# --ocr (implied by --test and --package): Tesseract and its Nordic and English
# language data, to build the OCR helper (scan/batch/redact --ocr, milter ocr = true;
# without them the helper is not built and --ocr is an error for every image).
OCR="libtesseract-dev libgif-dev tesseract-ocr-nor tesseract-ocr-swe tesseract-ocr-dan tesseract-ocr-fin tesseract-ocr-isl tesseract-ocr-eng"
# --test: also what only the tests and CI need (scripts/test.sh asks for
# them, scripts/quickstart.sh does not): a NATS JetStream server and the C
# client for `nordpii submit/worker/collect` and their loopback tests.
# --package: also what the Debian package and its install test need
# (packaging/build-deb.sh, tests/package/install_test.sh).
for a in "$@"; do
  # Tests, fuzzers, benchmarks and their oracles: Catch2, clang's fuzzer
  # runtime, mimetic, CPython's mail corpus and stdnum, Postfix and swaks
  # (milter e2e), Chromium (report rendering), ripgrep (benchmark baseline),
  # openssl and python3-cryptography (NATS TLS and credentials test), PIL and
  # DejaVu fonts (images rendered for the OCR test), zip/zstd/bzip2/xz (archive and
  # compressed-file fixtures), python3-jsonschema (SARIF and JSONL output checked against
# their schemas), zsh (the zsh completion is checked with zsh -n), tnef (GPL; only
# the oracle of the TNEF test: it decompresses winmail.dat bodies independently).
  [ "$a" = --test ] && PKGS="$PKGS clang libclang-rt-14-dev catch2 libbenchmark-dev libmimetic-dev \
libpython3.11-testsuite postfix swaks chromium python3 python3-stdnum ripgrep nats-server libnats-dev curl time openssl python3-cryptography python3-pil fonts-dejavu-core zip zstd bzip2 xz-utils python3-jsonschema zsh tnef"
  [ "$a" = --package ] && PKGS="$PKGS dpkg-dev lintian mmdebstrap"
  case $a in --ocr|--test|--package) case " $PKGS " in *" libtesseract-dev "*) ;; *) PKGS="$PKGS $OCR" ;; esac ;; esac
done
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing:$missing" >&2
  # Postfix without a system configuration: the milter test runs its own instance.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

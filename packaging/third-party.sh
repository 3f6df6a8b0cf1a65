#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes THIRD-PARTY: the copyright and license notices of the code that ends up
# inside the nordpii executable, taken verbatim from the Debian packages it was
# built with (/usr/share/doc/<package>/copyright). Rerun after a dependency
# changes: packaging/third-party.sh > THIRD-PARTY
set -eu
cat <<'HEAD'
nordpii third-party notices
===========================

nordpii itself is licensed under the Apache License 2.0 (LICENSE).

The nordpii executable contains code from the libraries below. The default
build (NORDPII_STATIC_DEPS=ON) links Hyperscan, RE2, ICU, Gumbo, libstdc++
and libgcc statically; CLI11, toml++ and the inline parts of simdjson are
header code compiled into every build, and nlohmann-json (the batch report's
and the JetStream messages' JSON) too; OpenSSL (libcrypto), libarchive and
simdjson are shared libraries in every build. Their BSD, MIT, ICU and Apache
licenses require these notices to accompany binary copies: install this file
with the binary (cmake --install puts it in share/doc/nordpii/).

libstdc++ and libgcc (GCC, GPL-3.0-or-later WITH GCC-exception-3.1): the GCC
Runtime Library Exception allows distributing the statically linked result
under nordpii's own license, without notices (the compiler is GCC, an
"Eligible Compilation Process"). Their license: /usr/share/doc/libstdc++6/copyright.

The helper programs link shared Debian libraries only (no notices are
copied into them): nordpii-extract (libarchive, libxml2, zlib (Zlib license), libgsf LGPL-2.1
and GLib LGPL-2.1, dynamically linked), nordpii-extract-pdf
(poppler-cpp, GPL-2.0-or-later: that program is under the GPL; qpdf,
Apache-2.0, and libxml2 for forms, annotations and XMP), and
nordpii-extract-ocr (Tesseract, Apache-2.0; Leptonica, BSD-2-Clause; giflib, MIT); all
three link libseccomp (LGPL-2.1) for their sandbox.

Not in the executable (build and test only): Catch2 (BSL-1.0), mimetic (MIT),
Google Benchmark (Apache-2.0).

docs/schema/sarif-2.1.0.json (not in the executable; the output_schemas test
checks `scan --format sarif` against it): the SARIF Version 2.1.0 JSON schema
(errata01), unmodified, from github.com/oasis-tcs/sarif-spec
(sarif-2.1/schema/sarif-schema-2.1.0.json, commit e0583813964e). Copyright
(c) OASIS Open. Governed by the OASIS Intellectual Property Rights Policy
(https://www.oasis-open.org/policies-guidelines/ipr), SARIF TC IPR mode
"RF on RAND Terms"; OASIS permits copying and distributing its specification
documents, including their schemas, unmodified with this notice.

Each section below is the Debian copyright file of the package named.
HEAD
for p in libhyperscan5 libre2-9 libicu72 libgumbo1 libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libsimdjson14 libarchive13 libssl3; do
  f=/usr/share/doc/$p/copyright
  [ -r "$f" ] || { echo "third-party.sh: $f missing (install the package)" >&2; exit 1; }
  v=$(dpkg-query -W -f='${Version}' "$p")
  printf '\n\n======================================================================\n%s %s (Debian: %s)\n======================================================================\n\n' "$p" "$v" "$f"
  cat "$f"
done

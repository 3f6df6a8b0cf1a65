# SPDX-License-Identifier: Apache-2.0
# Install layout and the Debian package.
#
#   cmake --install build                    # /usr/local: binary, patterns, man page, docs
#   packaging/build-deb.sh                   # shared-library build + cpack -G DEB + lintian
#
# The binary finds its patterns at <bindir>/../share/nordpii/patterns, so any
# prefix works (/usr for the .deb, /usr/local for cmake --install).
# NORDPII_DEBIAN=ON (set by packaging/build-deb.sh) adds what a Debian binary
# package needs: /usr/share/doc/nordpii/copyright and changelog.gz, the systemd
# unit, the sysusers.d entry and the policy as a conffile in /etc/nordpii.
include(GNUInstallDirs)
option(NORDPII_DEBIAN "Install the Debian package layout (unit, sysusers, /etc policy)" OFF)

set(NORDPII_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(NORDPII_PKG_OUT ${PROJECT_BINARY_DIR}/packaging)
set(NORDPII_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/nordpii)

# Man page and Debian changelog, gzip -9n (no name or time stamp: the same
# bytes every build; Debian policy 12.3 / lintian want them compressed).
string(TIMESTAMP NORDPII_BUILD_DATE_RFC2822 "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${NORDPII_PKG_DIR}/changelog.Debian.in ${NORDPII_PKG_OUT}/changelog @ONLY)
configure_file(${NORDPII_PKG_DIR}/nordpii.1 ${NORDPII_PKG_OUT}/nordpii.1 @ONLY)
add_custom_command(OUTPUT ${NORDPII_PKG_OUT}/nordpii.1.gz ${NORDPII_PKG_OUT}/changelog.gz
  COMMAND gzip -9nf -k ${NORDPII_PKG_OUT}/nordpii.1 ${NORDPII_PKG_OUT}/changelog
  DEPENDS ${NORDPII_PKG_OUT}/nordpii.1 ${NORDPII_PKG_OUT}/changelog)
add_custom_target(nordpii_docs ALL DEPENDS ${NORDPII_PKG_OUT}/nordpii.1.gz ${NORDPII_PKG_OUT}/changelog.gz)

install(FILES ${NORDPII_PKG_OUT}/nordpii.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${NORDPII_PKG_DIR}/bash-completion/nordpii
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${NORDPII_PKG_DIR}/zsh-completion/_nordpii
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(FILES ${PROJECT_SOURCE_DIR}/THIRD-PARTY ${PROJECT_SOURCE_DIR}/CHANGELOG.md DESTINATION ${NORDPII_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/conf/nordpii-milter.toml ${PROJECT_SOURCE_DIR}/conf/postfix-main.cf.snippet
  DESTINATION ${NORDPII_DOCDIR}/examples)

# The milter's unit (from conf/, pointed at the installed binary and at the
# policy and key under the configuration directory: /etc for the package and
# --prefix /usr, PREFIX/etc otherwise) and the sysusers.d entry for its user;
# systemd reads both from /usr/lib and /usr/local/lib. Written at install
# time, so `cmake --install --prefix P` gets P's paths.
install(FILES ${NORDPII_PKG_DIR}/sysusers.d/nordpii.conf DESTINATION lib/sysusers.d)
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(etc /etc)
  else()
    set(etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  file(READ \"${PROJECT_SOURCE_DIR}/conf/nordpii-milter.service\" unit)
  string(REPLACE \"/usr/local/bin/nordpii\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/nordpii\" unit \"\${unit}\")
  string(REPLACE \"/etc/nordpii/\" \"\${etc}/nordpii/\" unit \"\${unit}\")
  string(REPLACE \"[Unit]\\n\" \"[Unit]\\nDocumentation=man:nordpii(1)\\n\" unit \"\${unit}\")
  set(u \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/nordpii-milter.service\")
  message(STATUS \"Installing: \${u}\")
  file(WRITE \"\${u}\" \"\${unit}\")
  if(NOT ${NORDPII_DEBIAN})
    # The commented default policy (monitor mode), only where there is none:
    # a reinstall never replaces an operator's policy (the package's is a conffile).
    set(p \"\$ENV{DESTDIR}\${etc}/nordpii/milter.toml\")
    if(EXISTS \"\${p}\")
      message(STATUS \"Kept (not replaced): \${p}\")
    else()
      message(STATUS \"Installing: \${p}\")
      file(INSTALL \"${PROJECT_SOURCE_DIR}/conf/nordpii-milter.toml\" DESTINATION \"\${etc}/nordpii\"
           RENAME milter.toml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endif()
  endif()
")

if(NORDPII_DEBIAN)
  # The license is in copyright (Debian's place for it); changelog.gz is the
  # Debian changelog of this native package, CHANGELOG.md the project's.
  install(FILES ${NORDPII_PKG_DIR}/copyright ${NORDPII_PKG_OUT}/changelog.gz DESTINATION ${NORDPII_DOCDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/conf/nordpii-milter.toml DESTINATION /etc/nordpii RENAME milter.toml)
  # CPack strips with a plain strip, which keeps GCC's .comment section
  # (lintian: binary-has-unneeded-section); dh_strip would remove it. Runs
  # after src/'s install rules (CMP0082: in declaration order).
  install(CODE "execute_process(COMMAND ${CMAKE_OBJCOPY} --remove-section=.comment
    \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_BINDIR}/nordpii\" COMMAND_ERROR_IS_FATAL ANY)")
else()
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${NORDPII_DOCDIR})
endif()

# cpack -G DEB (run in a build configured by packaging/build-deb.sh).
set(CPACK_PACKAGE_NAME nordpii)
set(CPACK_PACKAGE_VENDOR "nordpii contributors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "nordpii maintainers <nordpii@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "find and redact Nordic personal data in mail and ticket exports")
set(CPACK_PACKAGE_DESCRIPTION "nordpii finds Norwegian, Swedish, Danish, Finnish and Icelandic national
identity numbers (checksums and dates validated), bank accounts, IBANs,
payment cards, passwords and GDPR special-category terms in text, mail
(eml, mbox, Maildir) and helpdesk ticket exports (JSON Lines, JSON, CSV).
It reports them masked and keyed-hashed, redacts them keeping every other
byte, scans archives in parallel with a retention audit, finds everything
about one person for access and erasure requests, and runs as a milter in
front of Postfix or Sendmail.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/nordpii/nordpii")
# Library dependencies from dpkg-shlibdeps (dpkg-dev); adduser for the
# nordpii user where systemd-sysusers is missing (a container, a chroot).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix | sendmail-bin")
# --ocr reads images with Tesseract: its language data for the Nordic
# languages and English (the helper fails closed without them).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
  "tesseract-ocr-nor, tesseract-ocr-swe, tesseract-ocr-dan, tesseract-ocr-fin, tesseract-ocr-isl, tesseract-ocr-eng")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${NORDPII_PKG_DIR}/debian/conffiles ${NORDPII_PKG_DIR}/debian/postinst ${NORDPII_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# install() rules: what `cmake --install` puts where. packaging/deb/build-deb.sh stages these into
# a Debian package (with --prefix /usr), so this file is the one list of what certsmith ships.
#
# Paths under the prefix follow GNUInstallDirs. The systemd units and the cron entry go to fixed
# system paths, not under the prefix: systemd and cron read only those. Change them with
# -DCERTSMITH_SYSTEMD_UNIT_DIR= / -DCERTSMITH_CRON_DIR= (or install the `core` component only).
include(GNUInstallDirs)

# Debian 12 (bookworm) keeps packaged units in /lib/systemd/system; /usr/lib/systemd/system from trixie on.
set(CERTSMITH_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where the systemd units are installed")
set(CERTSMITH_CRON_DIR "/etc/cron.d" CACHE PATH "Where the cron entry is installed")

install(TARGETS certsmith RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT core)

# Manual pages: rendered by the `man` target (scdoc) into <build>/man/; each NAME.N.scd gives NAME.N.
if(TARGET man)
  file(GLOB page_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.scd)
  foreach(source IN LISTS page_sources)
    get_filename_component(page ${source} NAME_WLE) # certsmith-renew.1
    string(REGEX MATCH "[0-9]$" section ${page})
    install(FILES ${CMAKE_BINARY_DIR}/man/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT core)
  endforeach()
else()
  message(NOTICE "certsmith: the man pages are not rendered (no scdoc), so `cmake --install` skips them")
endif()

# Shell completions, where each shell looks for completions shipped by packages. Globbed (not tested
# with EXISTS) so that a completion added later reconfigures the build.
file(GLOB completions CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/completions/*)
foreach(file IN LISTS completions)
  get_filename_component(name ${file} NAME)
  if(name STREQUAL "certsmith.bash")
    install(FILES ${file} RENAME certsmith DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
            COMPONENT core)
  elseif(name STREQUAL "_certsmith")
    install(FILES ${file} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions COMPONENT core)
  elseif(name STREQUAL "certsmith.fish")
    install(FILES ${file} DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d COMPONENT core)
  endif()
endforeach()

# Shipped deploy hooks keep their layout: each hook in deploy/ sources ../common.sh.
install(FILES ${PROJECT_SOURCE_DIR}/hooks/common.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/certsmith/hooks COMPONENT core)
# Named, not globbed: a stray file there (an editor's backup) must not ship as a 0755 hook.
set(deploy_hooks copy-lineage haproxy-pem reload-apache reload-nginx restart-dovecot restart-exim
    restart-postfix)
list(TRANSFORM deploy_hooks PREPEND ${PROJECT_SOURCE_DIR}/hooks/deploy/)
install(PROGRAMS ${deploy_hooks} DESTINATION ${CMAKE_INSTALL_DATADIR}/certsmith/hooks/deploy COMPONENT core)

# Documentation.
file(GLOB docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT core)

# Scheduled renewal: the systemd units and the cron entry (which does nothing while the timer is active).
file(GLOB units CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/systemd/*.service
     ${PROJECT_SOURCE_DIR}/packaging/systemd/*.timer)
install(FILES ${units} DESTINATION ${CERTSMITH_SYSTEMD_UNIT_DIR} COMPONENT system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/cron/certsmith DESTINATION ${CERTSMITH_CRON_DIR} COMPONENT system)

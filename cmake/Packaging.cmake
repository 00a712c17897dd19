# Version stamp, install rules and the Debian package (`make package`, CPack).
# Included from CMakeLists.txt after the `sluice` target exists.

# ---- version stamp: `sluice --version` and the package version (see GitVersion.cmake)
set(SLUICE_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
add_custom_target(sluice_version
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUT_DIR=${SLUICE_GENERATED_DIR}
          -DPROJECT_VERSION=${PROJECT_VERSION} -P ${CMAKE_SOURCE_DIR}/cmake/GitVersion.cmake
  BYPRODUCTS ${SLUICE_GENERATED_DIR}/SluiceVersion.cpp ${SLUICE_GENERATED_DIR}/SluiceVersion.cmake
  COMMENT "Version stamp"
  VERBATIM)
add_dependencies(sluice sluice_version)
target_sources(sluice PRIVATE ${SLUICE_GENERATED_DIR}/SluiceVersion.cpp)

# ---- install layout (Debian: prefix /usr)
# Installing (and cpack) takes what is built; it does not first build every test and bench
# target: `make package` and scripts/container-build-steps.sh build `sluice` first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(GNUInstallDirs)
install(TARGETS sluice RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Loaded by the server only when a stream needs AAC or G.711 transcoded (media/AudioTranscoder.h).
install(TARGETS sluice_transcode_module LIBRARY DESTINATION lib/sluice)
# Keep the symbol table (function names for pprof in production), drop DWARF: ~10x smaller.
install(CODE "
  set(bin \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/sluice\")
  if(EXISTS \"\${bin}\" AND NOT \"${CMAKE_STRIP}\" STREQUAL \"\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\${bin}\" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR \"strip --strip-debug \${bin} failed\")
    endif()
  endif()")
# Absolute: these live outside the prefix on every Debian system.
install(FILES ${CMAKE_SOURCE_DIR}/deploy/package/sluice.yml DESTINATION /etc/sluice)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/sluice.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/DEPLOYMENT.md
              ${CMAKE_SOURCE_DIR}/docs/CONFIGURATION.md ${CMAKE_SOURCE_DIR}/docs/API.md
              ${CMAKE_SOURCE_DIR}/docs/METRICS.md ${CMAKE_SOURCE_DIR}/docs/PROFILING.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/grafana/sluice.json ${CMAKE_SOURCE_DIR}/deploy/prometheus/prometheus.yml
              ${CMAKE_SOURCE_DIR}/deploy/examples/mediamtx-64cams.yml
              ${CMAKE_SOURCE_DIR}/deploy/examples/sluice-seed64.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# ---- Debian package
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_VENDOR "Sluice")
set(CPACK_PACKAGE_CONTACT "Sluice maintainers <sluice@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time media server: RTSP cameras to WebRTC (WHEP) viewers")
set(CPACK_PACKAGE_DESCRIPTION
    "Sluice pulls live video from IP cameras over RTSP and serves it to browsers over WebRTC\n(WHEP). It reads MediaMTX's configuration file and answers on MediaMTX's HTTP routes,\nAPI and metric names, so it can replace a MediaMTX binary.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime dependencies come from the binary's shared libraries (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/package/conffiles ${CMAKE_SOURCE_DIR}/deploy/package/postinst
    ${CMAKE_SOURCE_DIR}/deploy/package/prerm ${CMAKE_SOURCE_DIR}/deploy/package/postrm)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
# The version is read when cpack runs, from the stamp of the build being packaged.
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/CPackProjectConfig.cmake)
file(WRITE ${CMAKE_BINARY_DIR}/CPackProjectConfig.cmake
     "include(\"${SLUICE_GENERATED_DIR}/SluiceVersion.cmake\" OPTIONAL)\n"
     "if(SLUICE_PACKAGE_VERSION)\n"
     "  set(CPACK_PACKAGE_VERSION \"\${SLUICE_PACKAGE_VERSION}\")\n"
     "  set(CPACK_DEBIAN_PACKAGE_VERSION \"\${SLUICE_PACKAGE_VERSION}\")\n"
     "endif()\n")
include(CPack)

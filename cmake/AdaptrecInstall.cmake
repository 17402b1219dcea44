# Installs the headers and exports adaptrec::adaptrec so that downstream
# projects can call find_package(adaptrec 0.1 CONFIG REQUIRED).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ADAPTREC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/adaptrec"
    CACHE STRING "Where adaptrecConfig.cmake is installed")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/adaptrec" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS adaptrec EXPORT adaptrecTargets)
install(EXPORT adaptrecTargets NAMESPACE adaptrec:: DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/adaptrecConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/adaptrecConfig.cmake"
  INSTALL_DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")
# Header-only: the package is architecture independent.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/adaptrecConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  "${PROJECT_BINARY_DIR}/adaptrecConfig.cmake"
  "${PROJECT_BINARY_DIR}/adaptrecConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/AdaptrecDependencies.cmake"
  DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")

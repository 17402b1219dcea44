# Installs the headers and exports adaptrec::adaptrec so that downstream
# projects can call find_package(adaptrec 0.1 CONFIG REQUIRED).
include(CMakePackageConfigHelpers)

# Header-only, so the package lives in the architecture-independent tree.
set(ADAPTREC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/adaptrec"
    CACHE STRING "Where adaptrecConfig.cmake is installed, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/adaptrec" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS adaptrec EXPORT adaptrecTargets)
install(EXPORT adaptrecTargets NAMESPACE adaptrec:: DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/adaptrecConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/adaptrecConfig.cmake"
  INSTALL_DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")
# Before 1.0 a minor release may break the API, so 0.1 accepts 0.1.x only.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/adaptrecConfigVersion.cmake"
  VERSION "${adaptrec_VERSION}"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES
  "${PROJECT_BINARY_DIR}/adaptrecConfig.cmake"
  "${PROJECT_BINARY_DIR}/adaptrecConfigVersion.cmake"
  DESTINATION "${ADAPTREC_INSTALL_CMAKEDIR}")

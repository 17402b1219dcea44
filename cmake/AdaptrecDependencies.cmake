# Finds what adaptrec::adaptrec needs, for adaptrec's own build. An installed
# adaptrec resolves the same packages in adaptrecConfig.cmake (from
# adaptrecConfig.cmake.in): keep the two lists in step.
set(ADAPTREC_EIGEN3_MIN_VERSION 3.4)
find_package(Eigen3 ${ADAPTREC_EIGEN3_MIN_VERSION} REQUIRED NO_MODULE)
find_package(range-v3 REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)

# ADAPTREC_WITH_CUDA: AUTO enables the CUDA backend when the CUDA Toolkit with
# cuBLAS is found, ON requires both, OFF never looks. FindCUDAToolkit searches
# CUDAToolkit_ROOT, nvcc on PATH, $CUDA_PATH and then /usr/local/cuda.
string(TOUPPER "${ADAPTREC_WITH_CUDA}" _adaptrec_cuda_request)
set(ADAPTREC_CUDA_ENABLED OFF)
if(_adaptrec_cuda_request STREQUAL "AUTO")
  find_package(CUDAToolkit QUIET)
  if(TARGET CUDA::cudart AND TARGET CUDA::cublas)
    set(ADAPTREC_CUDA_ENABLED ON)
  endif()
elseif(_adaptrec_cuda_request MATCHES "^(ON|YES|TRUE|Y|1)$")
  find_package(CUDAToolkit REQUIRED)
  if(NOT TARGET CUDA::cublas)
    message(FATAL_ERROR "ADAPTREC_WITH_CUDA=ON, but the CUDA Toolkit found in "
                        "${CUDAToolkit_LIBRARY_DIR} has no cuBLAS")
  endif()
  set(ADAPTREC_CUDA_ENABLED ON)
elseif(NOT _adaptrec_cuda_request MATCHES "^(OFF|NO|FALSE|N|0)$")
  message(FATAL_ERROR "ADAPTREC_WITH_CUDA is '${ADAPTREC_WITH_CUDA}'; use ON, OFF or AUTO")
endif()
message(STATUS "adaptrec: CUDA backend ${ADAPTREC_CUDA_ENABLED} (ADAPTREC_WITH_CUDA=${ADAPTREC_WITH_CUDA})")

# ADAPTREC_WITH_ONEDNN: AUTO enables the oneDNN CPU backend when oneDNN's CMake
# package (Debian: libdnnl-dev) is found, ON requires it, OFF never looks.
string(TOUPPER "${ADAPTREC_WITH_ONEDNN}" _adaptrec_onednn_request)
set(ADAPTREC_ONEDNN_ENABLED OFF)
if(_adaptrec_onednn_request STREQUAL "AUTO")
  find_package(dnnl CONFIG QUIET)
  if(TARGET DNNL::dnnl)
    set(ADAPTREC_ONEDNN_ENABLED ON)
  endif()
elseif(_adaptrec_onednn_request MATCHES "^(ON|YES|TRUE|Y|1)$")
  find_package(dnnl CONFIG REQUIRED)
  set(ADAPTREC_ONEDNN_ENABLED ON)
elseif(NOT _adaptrec_onednn_request MATCHES "^(OFF|NO|FALSE|N|0)$")
  message(FATAL_ERROR "ADAPTREC_WITH_ONEDNN is '${ADAPTREC_WITH_ONEDNN}'; use ON, OFF or AUTO")
endif()
if(ADAPTREC_ONEDNN_ENABLED)
  message(STATUS "adaptrec: oneDNN CPU backend ON (oneDNN ${dnnl_VERSION}, ADAPTREC_WITH_ONEDNN=${ADAPTREC_WITH_ONEDNN})")
else()
  message(STATUS "adaptrec: oneDNN CPU backend OFF (ADAPTREC_WITH_ONEDNN=${ADAPTREC_WITH_ONEDNN})")
endif()

# Runs an example (COMMAND, a list) on the real data and requires it to print
# its JSON result lines. The data folder is $ADAPTREC_DATA, else DEFAULT_DATA.
# Without the data: a printed skip (ctest SKIP_REGULAR_EXPRESSION), or a
# failure when CI=true, so CI never passes silently without running it.
set(data "$ENV{ADAPTREC_DATA}")
if(data STREQUAL "")
  set(data "${DEFAULT_DATA}")
endif()
if(NOT EXISTS "${data}/ml-100k/u.data")
  if("$ENV{CI}" STREQUAL "true")
    message(FATAL_ERROR "dataset missing: ${data}/ml-100k/u.data (CI=true; set ADAPTREC_DATA)")
  endif()
  message("skipped: ${data}/ml-100k/u.data not found (set ADAPTREC_DATA)")
  return()
endif()
execute_process(COMMAND ${COMMAND} --data "${data}" RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status STREQUAL "0")
  message(FATAL_ERROR "exit status ${status}\nstdout: ${out}\nstderr: ${err}")
endif()
if(NOT out MATCHES "\"dataset\":\"ml-100k\"")
  message(FATAL_ERROR "no result line in the output:\n${out}")
endif()
message("${out}")

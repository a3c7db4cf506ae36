# Fails when a quoted #include in our sources does not name its file from the top of the tree
# (gateway/, mappings/, adapters/, tests/, bench/), or climbs with "..": such an include is
# resolved beside the including file and so bypasses the include roots. Run by ctest.
file(GLOB_RECURSE sources
     ${SOURCE_DIR}/gateway/*.h ${SOURCE_DIR}/gateway/*.cc ${SOURCE_DIR}/mappings/*.h
     ${SOURCE_DIR}/mappings/*.cc ${SOURCE_DIR}/adapters/*.h ${SOURCE_DIR}/adapters/*.cc
     ${SOURCE_DIR}/tests/*.h ${SOURCE_DIR}/tests/*.cc ${SOURCE_DIR}/bench/*.h
     ${SOURCE_DIR}/bench/*.cc)
set(bad "")
foreach(source ${sources})
  file(STRINGS ${source} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line ${includes})
    if(NOT line MATCHES "\"(gateway|mappings|adapters|tests|bench)/[^\"]*\"" OR line MATCHES "\\.\\./")
      file(RELATIVE_PATH name ${SOURCE_DIR} ${source})
      string(APPEND bad "  ${name}: ${line}\n")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "quoted includes that bypass the include roots:\n${bad}")
endif()

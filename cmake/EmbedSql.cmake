# quicktools_embed_sql(OUTPUT file ROOT dir FILES f...)
# Writes a C++ source that defines quicktools::sql::embedded_files(): every SQL file under
# ROOT as (relative path, text). Re-runs whenever a listed file changes.
function(quicktools_embed_sql)
  cmake_parse_arguments(ARG "" "OUTPUT;ROOT" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT "${ARG_OUTPUT}"
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${ARG_OUTPUT} -DROOT=${ARG_ROOT}
            -P "${CMAKE_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    DEPENDS ${ARG_FILES} "${CMAKE_SOURCE_DIR}/cmake/EmbedSqlScript.cmake"
    COMMENT "Embedding SQL files from ${ARG_ROOT}"
    VERBATIM)
endfunction()

# The engine seam (include/quicktools/db/engine.hpp): only src/db/sqlite/ may name SQLite's C or
# C++ API, and only src/db/postgres/ libpq's. Run as `cmake -DROOT=<source dir> -P CheckEngineSeam.cmake` (the ctest engine_seam);
# fails listing every file and line outside that folder that names SQLite::, sqlite3_ or
# includes <SQLiteCpp/...> or <sqlite3.h>, and every one outside src/db/postgres/ that names
# libpq (<libpq-fe.h>, PGconn, PGresult, a PQ... call).
if(NOT ROOT)
  message(FATAL_ERROR "pass -DROOT=<source dir>")
endif()
file(GLOB_RECURSE candidates
  "${ROOT}/src/*.cpp" "${ROOT}/src/*.hpp" "${ROOT}/include/*.hpp"
  "${ROOT}/tests/unit/*.cpp" "${ROOT}/tests/unit/*.hpp" "${ROOT}/tests/cli/*.cpp" "${ROOT}/tests/cli/*.hpp"
  "${ROOT}/fuzz/*.cpp" "${ROOT}/fuzz/*.hpp")
set(offences "")
foreach(path IN LISTS candidates)
  file(RELATIVE_PATH relative "${ROOT}" "${path}")
  if(relative MATCHES "^src/db/sqlite/")
    continue()
  endif()
  file(STRINGS "${path}" lines REGEX "SQLite::|sqlite3_|SQLiteCpp/|sqlite3\\.h")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    string(APPEND offences "  ${relative}: ${line}\n")
  endforeach()
endforeach()
set(pq_offences "")
foreach(path IN LISTS candidates)
  file(RELATIVE_PATH relative "${ROOT}" "${path}")
  if(relative MATCHES "^src/db/postgres/")
    continue()
  endif()
  file(STRINGS "${path}" lines REGEX "libpq-fe\\.h|PGconn|PGresult|(^|[^A-Za-z_])PQ[a-z]+[A-Za-z]*\\(")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    string(APPEND pq_offences "  ${relative}: ${line}\n")
  endforeach()
endforeach()
if(pq_offences)
  message(FATAL_ERROR "libpq is named outside src/db/postgres/ (go through db::Database, db::Statement or "
                      "the functions of src/db/postgres/ instead):\n${pq_offences}")
endif()
if(offences)
  message(FATAL_ERROR "SQLite is named outside src/db/sqlite/ (go through db::Database, db::Statement or "
                      "the functions of src/db/sqlite/ instead):\n${offences}")
endif()

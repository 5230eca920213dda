# Script mode: cmake -DCOMMAND=prog -DARGS=a;b -DOUTPUT=file -P RunToFile.cmake
execute_process(COMMAND "${COMMAND}" ${ARGS} OUTPUT_FILE "${OUTPUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${COMMAND} ${ARGS} failed: ${rc}")
endif()

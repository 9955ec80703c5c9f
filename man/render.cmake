# Renders one scdoc page to roff: cmake -DSCDOC=scdoc -DPAGE_SOURCE=x.1.scd -DPAGE_OUTPUT=x.1 -P render.cmake
# Used by the build (the `man` target) and by tests/e2e/test_man_pages.py, so both lint the
# same roff. scdoc opens every section and closes every indented block with a `.P` that
# renders nothing; mandoc -T lint warns about each ("skipping paragraph macro"), so they are
# dropped here: a `.P` right after `.SH` or right before `.SH`, `.RE` or another `.P`.

foreach(var SCDOC PAGE_SOURCE PAGE_OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "render.cmake: -D${var}= is required")
  endif()
endforeach()

execute_process(COMMAND "${SCDOC}" INPUT_FILE "${PAGE_SOURCE}" OUTPUT_VARIABLE roff
                ERROR_VARIABLE errors RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "scdoc failed on ${PAGE_SOURCE}: ${errors}")
endif()

set(previous "")
while(NOT roff STREQUAL previous)
  set(previous "${roff}")
  string(REGEX REPLACE "(\n\\.SH [^\n]*\n)\\.P\n" "\\1" roff "${roff}")
  string(REGEX REPLACE "\n\\.P\n(\\.SH |\\.RE\n|\\.P\n)" "\n\\1" roff "${roff}")
endwhile()

file(WRITE "${PAGE_OUTPUT}.tmp" "${roff}")
file(RENAME "${PAGE_OUTPUT}.tmp" "${PAGE_OUTPUT}")

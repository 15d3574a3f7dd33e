# Smoke test of one benchmark runner: cmake -DRUNNER=path -P smoke.cmake
# The runner must list its workloads, include spsc1024 among them, run it with a small N and print
# exactly one well-formed result line.
execute_process(COMMAND ${RUNNER} --list OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT listed MATCHES "(^|\n)spsc1024\n")
    message(FATAL_ERROR "${RUNNER} --list: exit ${rc}, output:\n${listed}")
endif()
execute_process(COMMAND ${RUNNER} spsc1024 1000 OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
set(number "[0-9]+(\\.[0-9]+)?")
if(NOT rc EQUAL 0 OR NOT out MATCHES
        "^spsc1024 n=1000 total_ms=${number} ns_per_op=${number}( [a-z_]+=[^ \n]+)* gomaxprocs=[0-9]+\n$")
    message(FATAL_ERROR "${RUNNER} spsc1024 1000: exit ${rc}, output:\n${out}${err}")
endif()
message(STATUS "${out}")

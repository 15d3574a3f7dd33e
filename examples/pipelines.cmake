# Sections 8.4 and 8.7 of "The Go Programming Language": the pipelines (gopl.io/ch8/pipeline1-3),
# the buffered-channel mirrored query, the select over a one-slot buffer (evens) and the cake
# shop simulation (gopl.io/ch8/cake).
foreach(_name pipeline1 pipeline2 pipeline3 mirrored evens cake)
    gocsp_add_example(NAME ${_name} SOURCES ${_name}.cpp)
endforeach()

# Sections 8.8 and 8.9 of "The Go Programming Language": the du programs (gopl.io/ch8/du1-du4),
# which share du.hpp.
foreach(_name du1 du2 du3 du4)
    gocsp_add_example(NAME ${_name} SOURCES ${_name}.cpp)
endforeach()
# Exercise 8.9: du5, du3 with a total for each root.
gocsp_add_example(NAME du5 SOURCES du5.cpp)

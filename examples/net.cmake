# The terminal and network programs of chapter 8, sections 8.1 to 8.7 (gopl.io/ch8/...): a
# spinner, time-of-day servers and their netcat clients, echo servers, launch countdowns.
# Each takes flags for its port or timing, with the book's values as defaults; `-h` lists them.
foreach(_program spinner clock1 clock2 netcat1 netcat2 netcat3 reverb1 reverb2 countdown1 countdown2 countdown3)
    gocsp_add_example(NAME ${_program} SOURCES ${_program}.cpp)
endforeach()
# Exercises 8.1 and 8.8: clockwall, a client of several clock servers at once; reverb3, reverb2
# that hangs up on a silent client.
foreach(_program clockwall reverb3)
    gocsp_add_example(NAME ${_program} SOURCES ${_program}.cpp)
endforeach()
# Exercise 8.2: ftpd, a concurrent FTP server (openat2: Linux 5.6 or later).
gocsp_add_example(NAME ftpd SOURCES ftpd.cpp)

# The chat server of section 8.10 (gopl.io/ch8/chat), with exercises 8.12-8.15.
gocsp_add_example(NAME chat SOURCES chat.cpp)

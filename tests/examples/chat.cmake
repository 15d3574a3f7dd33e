# Tests of the chat server (examples/chat.cpp), each run with the server on 1 and on 2 worker
# threads (GOCSP_MAXPROCS passes on to the server's environment).
gocsp_add_example_test(NAME chat_test SOURCES examples/chat_test.cpp WORKERS 1 2 TIMEOUT 600 LABELS examples)

module gocsp.local/bench/peers/go-chat

go 1.19

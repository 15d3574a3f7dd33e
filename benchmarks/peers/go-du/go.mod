module gocsp.local/du

go 1.19

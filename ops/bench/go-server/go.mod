module example.com/bench/go-server

go 1.19

// Minimal Go net/http server on an SO_REUSEPORT socket: the kind of server the original
// project ran, used by ../compare-go.sh as the reference point. Standard library only.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"syscall"
)

const version = "1.0.0"

// soReusePort is SO_REUSEPORT on Linux; the frozen syscall package does not export it
// (golang.org/x/sys/unix does, but this server uses the standard library only).
const soReusePort = 0xf

func reusePort(network, address string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	}); err != nil {
		return err
	}
	return serr
}

func main() {
	listen := flag.String("listen", "127.0.0.1:18091", "address:port to listen on")
	flag.Parse()
	lc := net.ListenConfig{Control: reusePort}
	ln, err := lc.Listen(context.Background(), "tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	body := "go-server " + version + "\n"
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App-Version", version)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, body)
	})
	log.Fatal(http.Serve(ln, nil))
}

// chat is the Go twin of gocsp's examples/chat for timing: the book's chat (gopl.io/ch8/chat)
// with exercise 8.15's buffered client channels (a send that skips a full channel) and a
// writer that writes all that is queued in one write, and exercise 8.13's idle timeout as a
// read deadline moved on before each line, as examples/chat does. With -relay, 8.13 as a
// goroutine that reads the client's lines for the handler to select on with a timer (what
// examples/chat did before: a third goroutine on each line's way to the broadcaster).
package main

import (
	"bufio"
	"flag"
	"log"
	"net"
	"time"
)

type client chan<- string

var (
	entering = make(chan client)
	leaving  = make(chan client)
	messages = make(chan string)
)

func broadcaster() {
	clients := make(map[client]bool)
	for {
		select {
		case msg := <-messages:
			for cli := range clients {
				select {
				case cli <- msg:
				default: // full: this client misses msg
				}
			}
		case cli := <-entering:
			clients[cli] = true
		case cli := <-leaving:
			delete(clients, cli)
			close(cli)
		}
	}
}

func handleConn(conn net.Conn, buffer int, idle time.Duration, relay bool) {
	ch := make(chan string, buffer)
	go clientWriter(conn, ch)
	who := conn.RemoteAddr().String()
	ch <- "You are " + who
	messages <- who + " has arrived"
	entering <- ch
	if !relay {
		input := bufio.NewScanner(conn)
		for {
			if idle > 0 {
				conn.SetReadDeadline(time.Now().Add(idle))
			}
			if !input.Scan() {
				break
			}
			messages <- who + ": " + input.Text()
		}
	} else {
		lines := make(chan string)
		go clientReader(conn, lines)
		timer := time.NewTimer(idle)
	loop:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break loop
				}
				if !timer.Stop() {
					<-timer.C
				}
				timer.Reset(idle)
				messages <- who + ": " + line
			case <-timer.C:
				break loop
			}
		}
		conn.Close()
		for range lines {
		}
	}
	leaving <- ch
	messages <- who + " has left"
	conn.Close()
}

// clientReader sends each line the client says to lines, and closes lines at the end of input.
func clientReader(conn net.Conn, lines chan<- string) {
	input := bufio.NewScanner(conn)
	for input.Scan() {
		lines <- input.Text()
	}
	close(lines)
}

// clientWriter writes each message with the others already queued, up to 64 KiB a write.
func clientWriter(conn net.Conn, ch <-chan string) {
	var batch []byte
	for msg := range ch {
		batch = append(batch[:0], msg...)
		batch = append(batch, '\n')
	more:
		for len(batch) < 64<<10 {
			select {
			case m, ok := <-ch:
				if !ok {
					break more
				}
				batch = append(batch, m...)
				batch = append(batch, '\n')
			default:
				break more
			}
		}
		conn.Write(batch) // NOTE: ignoring network errors, as the book does
	}
}

func main() {
	addr := flag.String("addr", "localhost:8000", "listen on `host:port`")
	buffer := flag.Int("buffer", 1024, "outgoing messages queued per client")
	idle := flag.Duration("idle", 5*time.Minute, "disconnect a client silent this long (0: never)")
	relay := flag.Bool("relay", false, "a goroutine per client reads its lines for the handler")
	flag.Parse()
	if *relay && *idle <= 0 {
		log.Fatal("-relay needs an -idle time")
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go broadcaster()
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Print(err)
			continue
		}
		go handleConn(conn, *buffer, *idle, *relay)
	}
}

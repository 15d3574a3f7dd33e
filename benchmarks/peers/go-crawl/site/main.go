// Command site serves a generated web site over HTTP/1.1 with keep-alive on
// loopback, for timing web crawlers against it (gocsp's examples/crawl2 and the
// Go twin in ../crawl2). It prints its start URL, then serves until killed.
//
//	site [-addr 127.0.0.1:0] [-pages 341]
//
// Page 0 is at "/", page i at "/d<i%10>/p<i>.html"; each links to the next
// (so every page is reachable) and to three others chosen by a fixed
// pseudo-random sequence, half as absolute paths and half as paths relative to
// the page, plus a fragment link to itself.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
)

func pagePath(i int) string {
	if i == 0 {
		return "/"
	}
	return "/d" + strconv.Itoa(i%10) + "/p" + strconv.Itoa(i) + ".html"
}

// href writes a link from page `from` to path `to`: from the root or, for
// odd k, relative to from's directory.
func href(from int, to string, k int) string {
	if k%2 == 0 || from == 0 {
		return to
	}
	return "../" + to[1:]
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen on `host:port`")
	pages := flag.Int("pages", 341, "number of pages")
	flag.Parse()
	site := make(map[string][]byte, *pages)
	rng := uint32(2015)
	next := func() int {
		rng = rng*1664525 + 1013904223
		return int(rng>>8) % *pages
	}
	for i := 0; i < *pages; i++ {
		body := "<!DOCTYPE html>\n<html><head><title>Page " + strconv.Itoa(i) +
			"</title></head>\n<body><h1>Page " + strconv.Itoa(i) + "</h1>\n<ul>\n"
		targets := []string{pagePath((i + 1) % *pages), pagePath(next()), pagePath(next()), pagePath(next())}
		for k, t := range targets {
			body += "<li><a href=\"" + href(i, t, k+i) + "\">" + t + "</a></li>\n"
		}
		body += "<li><a href=\"#top\">top</a></li>\n</ul>\n</body></html>\n"
		site[pagePath(i)] = []byte(body)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/\n", ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := site[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})))
}

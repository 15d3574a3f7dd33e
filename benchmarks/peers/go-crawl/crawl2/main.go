// Command crawl2 is the Go twin of gocsp's examples/crawl2 for timing: the
// crawler of "The Go Programming Language" (gopl.io/ch8/crawl2) - at most 20
// requests in flight, ending when no request is pending - with links.Extract
// (net/http and golang.org/x/net/html) inlined, and fragments dropped from the
// links before they meet the seen set, as gocsp's crawlers do.
//
//	crawl2 URL...
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/html"
)

// extract makes an HTTP GET request to url, parses the response as HTML, and
// returns the links in the HTML document.
func extract(url string) ([]string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("getting %s: %s", url, resp.Status)
	}
	doc, err := html.Parse(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("parsing %s as HTML: %v", url, err)
	}
	var links []string
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key != "href" {
					continue
				}
				link, err := resp.Request.URL.Parse(a.Val)
				if err != nil {
					continue // ignore bad URLs
				}
				links = append(links, link.String())
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	return links, nil
}

// tokens is a counting semaphore used to enforce a limit of 20 concurrent
// requests.
var tokens = make(chan struct{}, 20)

func crawl(url string) []string {
	fmt.Println(url)
	tokens <- struct{}{} // acquire a token
	list, err := extract(url)
	<-tokens // release the token
	if err != nil {
		log.Print(err)
	}
	return list
}

func withoutFragment(url string) string {
	if i := strings.IndexByte(url, '#'); i >= 0 {
		return url[:i]
	}
	return url
}

func main() {
	worklist := make(chan []string)
	var n int // number of pending sends to worklist

	// Start with the command-line arguments.
	n++
	go func() { worklist <- os.Args[1:] }()

	// Crawl the web concurrently.
	seen := make(map[string]bool)
	for ; n > 0; n-- {
		list := <-worklist
		for _, link := range list {
			link = withoutFragment(link)
			if !seen[link] {
				seen[link] = true
				n++
				go func(link string) {
					worklist <- crawl(link)
				}(link)
			}
		}
	}
}

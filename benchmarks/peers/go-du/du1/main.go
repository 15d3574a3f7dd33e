// du1 in Go: the twin of examples/du1 for side-by-side timing. One goroutine walks the trees
// under the given directories (default ".") and sends every file's size on an unbuffered
// channel; main adds them up and prints "<n> files  <x.x> GB" when the channel is closed.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"."}
	}

	sizes := make(chan int64)
	go func() {
		for _, root := range roots {
			walk(root, sizes)
		}
		close(sizes)
	}()

	var files, bytes int64
	for size := range sizes {
		files++
		bytes += size
	}
	fmt.Printf("%d files  %.1f GB\n", files, float64(bytes)/1e9)
}

// walk sends the size of each regular file under dir, recursively.
func walk(dir string, sizes chan<- int64) {
	for _, entry := range entries(dir) {
		path := filepath.Join(dir, entry.Name())
		if entry.IsDir() {
			walk(path, sizes)
			continue
		}
		info, err := entry.Info()
		if err != nil {
			fmt.Fprintf(os.Stderr, "du1: %v\n", err)
			continue
		}
		sizes <- info.Size()
	}
}

// entries lists dir; an unreadable directory is reported and counts as empty.
func entries(dir string) []os.DirEntry {
	list, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "du1: %v\n", err)
	}
	return list
}

package fanout

import (
	"runtime"
	"sync"
)

// Chunks calls fn(i) for every i in [0, n), splitting the range into contiguous chunks
// of at least minChunk, at most one per CPU (runtime.GOMAXPROCS), run in parallel, and
// returns when every call has returned. It is for CPU-bound work on many small items
// (parsing, encoding, hashing objects), where a goroutine per item would cost more than
// the item. Each call must write only to a slot of its own.
func Chunks(n, minChunk int, fn func(i int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/max(1, minChunk)))
	size := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < n; start += size {
		end := min(start+size, n)
		wg.Go(func() {
			for i := start; i < end; i++ {
				fn(i)
			}
		})
	}
	wg.Wait()
}

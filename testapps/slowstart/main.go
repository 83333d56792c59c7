// Command slowstart serves at once but reports ready only READY_AFTER seconds after start
// (default 20): a slow but healthy app.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	version := os.Getenv("VERSION")
	delay := 20 * time.Second
	if s := os.Getenv("READY_AFTER"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			log.Fatalf("READY_AFTER=%q: want a whole number of seconds", s)
		}
		delay = time.Duration(n) * time.Second
	}
	readyAt := time.Now().Add(delay)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, version)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if time.Now().Before(readyAt) {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	log.Printf("slowstart %s listening on :8080, ready after %s", version, delay)
	log.Fatal(http.ListenAndServe(":8080", mux))
}

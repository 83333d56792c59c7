// Command naive is a plain net/http server that exits at once on SIGTERM, with no drain:
// the behaviour that drops requests during a rolling update.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	version := os.Getenv("VERSION")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, version)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	log.Printf("naive %s listening on :8080", version)
	// No signal handling: SIGTERM kills the process at once, mid-request.
	log.Fatal(http.ListenAndServe(":8080", mux))
}

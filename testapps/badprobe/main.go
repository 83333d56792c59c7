// Command badprobe serves `GET /` but its readiness endpoint always answers 503, so its
// pods never become ready.
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
		log.Printf("readyz: answering 503: dependency check failed")
		http.Error(w, "not ready: dependency check failed", http.StatusServiceUnavailable)
	})
	log.Printf("badprobe %s listening on :8080", version)
	log.Fatal(http.ListenAndServe(":8080", mux))
}

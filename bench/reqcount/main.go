// Command reqcount is the benchmarks' request counter: a reverse proxy on loopback in
// front of the Kubernetes API server that writes one line per request ("METHOD PATH"
// with the query) to a log, so that every tool's API requests are counted the same way,
// whatever client it uses. It serves plain HTTP on -listen (loopback only) and forwards
// to -upstream over TLS verified with -ca; credentials pass through unchanged. A watch
// counts as one request. Clients do not send a bearer token over plain HTTP, so the
// proxy adds the one in -token-file to every request that has none.
//
//	reqcount -upstream https://10.245.0.1:6443 -ca ca.crt -token-file token -log requests.log -addr-file addr
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to serve on")
	upstream := flag.String("upstream", "", "API server URL (https://...)")
	ca := flag.String("ca", "", "PEM file of the API server's CA")
	logPath := flag.String("log", "", "file to append one line per request to")
	addrFile := flag.String("addr-file", "", "file to write the address served on to, once listening")
	tokenFile := flag.String("token-file", "", "file holding the bearer token to add to requests without one")
	flag.Parse()
	if err := run(*listen, *upstream, *ca, *logPath, *addrFile, *tokenFile); err != nil {
		log.Fatalf("reqcount: %v", err)
	}
}

func run(listen, upstream, caPath, logPath, addrFile, tokenFile string) error {
	var token string
	if tokenFile != "" {
		raw, err := os.ReadFile(tokenFile)
		if err != nil {
			return fmt.Errorf("-token-file: %w", err)
		}
		token = strings.TrimSpace(string(raw))
	}
	target, err := url.Parse(upstream)
	if err != nil || target.Scheme != "https" {
		return fmt.Errorf("-upstream %q: want an https URL", upstream)
	}
	pem, err := os.ReadFile(caPath)
	if err != nil {
		return fmt.Errorf("-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("-ca %s: no PEM certificate", caPath)
	}
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("-log: %w", err)
	}
	defer out.Close()
	host, _, err := net.SplitHostPort(listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-listen %q: want a loopback address", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
	}
	proxy.FlushInterval = -1 // watches stream
	var mu sync.Mutex
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fmt.Fprintf(out, "%s %s\n", r.Method, r.URL.RequestURI())
		mu.Unlock()
		r.Host = target.Host
		if token != "" && r.Header.Get("Authorization") == "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		proxy.ServeHTTP(w, r)
	}))
}

package graceful

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// testTLSConfig returns a server config with httptest's certificate, and a client config
// that trusts it and speaks HTTP/1.1 only (hijacking needs HTTP/1).
func testTLSConfig(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	server = ts.TLS.Clone()
	server.NextProtos = []string{"http/1.1"}
	client = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	client.NextProtos = []string{"http/1.1"}
	ts.Close()
	return server, client
}

func TestHijackedConnectionsGetTheirOwnBudget(t *testing.T) {
	t.Parallel()
	const budget = 50 * time.Millisecond
	tests := []struct {
		name        string
		tls         bool
		cooperative bool // the handler says goodbye once stopping begins
		wantErr     string
	}{
		{name: "cooperative websocket closes itself", cooperative: true},
		{name: "stuck websocket is closed at the deadline", wantErr: "closed 1 hijacked connections still open"},
		{name: "stuck websocket over TLS is closed at the deadline", tls: true, wantErr: "closed 1 hijacked connections still open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stopping, letGo := make(chan struct{}), make(chan struct{})
			hijackBudget := budget
			if tt.cooperative {
				hijackBudget = time.Hour // only the handler's close may end the wait
			}
			sigs := make(chan os.Signal, 1)
			svc := New(Options{
				DrainDelay: -1, ShutdownTimeout: testWait, HijackTimeout: hijackBudget, Signals: sigs,
				OnPhase: func(p Phase) {
					if p == PhaseStopping {
						close(stopping)
					}
				},
			})
			mux := http.NewServeMux()
			mux.HandleFunc("GET /ws", func(w http.ResponseWriter, _ *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				fmt.Fprint(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
				_ = buf.Flush()
				// The handler returns; the connection lives on in its own goroutine.
				go func() {
					if !tt.cooperative {
						_, _ = io.Copy(io.Discard, conn)
						return
					}
					<-stopping
					<-letGo
					fmt.Fprint(conn, "bye\n")
					conn.Close()
				}()
			})
			srv := &http.Server{Handler: mux}
			clientTLS := (*tls.Config)(nil)
			if tt.tls {
				srv.TLSConfig, clientTLS = testTLSConfig(t)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- svc.Run(context.Background(), HTTP(srv, ln)) }()

			var conn net.Conn
			if tt.tls {
				conn, err = tls.Dial("tcp", ln.Addr().String(), clientTLS)
			} else {
				conn, err = net.Dial("tcp", ln.Addr().String())
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(testWait))
			fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
			r := bufio.NewReader(conn)
			resp, err := http.ReadResponse(r, nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("upgrade: %v %v", resp, err)
			}

			sigs <- os.Interrupt
			recv(t, stopping, "stopping phase")
			if tt.cooperative {
				select {
				case err := <-done:
					t.Fatalf("Run returned (%v) while a hijacked connection was open", err)
				default:
				}
				close(letGo)
			}
			err = recv(t, done, "Run")
			if tt.wantErr == "" && err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, context.DeadlineExceeded)) {
				t.Errorf("Run = %v, want %q and deadline exceeded", err, tt.wantErr)
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Errorf("client read after shutdown: %v", err)
			}
			if want := map[bool]string{true: "bye\n", false: ""}[tt.cooperative]; string(rest) != want {
				t.Errorf("client read %q before EOF, want %q", rest, want)
			}
		})
	}
}

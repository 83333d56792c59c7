package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// holdLabel marks the ConfigMaps a holdWebhook holds: give it the value "yes".
const holdLabel = "e2e.shipsafe.io/hold"

// holdWebhook is a validating admission webhook, served by the test process on
// loopback, that holds the first real (not dry-run) create or update of a ConfigMap
// labelled holdLabel in one namespace: the request stays open until release is called
// (or the API server gives up), and is then denied, so the object never comes to exist.
// A deploy applying such a ConfigMap is therefore "applying" for as long as the test
// wants, which makes a signal sent while applying land there every time.
type holdWebhook struct {
	held     chan struct{} // closed when the first request is held
	holdOnce sync.Once
	released chan struct{}
	relOnce  sync.Once
}

// holdConfigMapWrites starts a holdWebhook for namespace ns and registers it with the
// API server, returning once the API server calls it. Both end with the test.
func (e *env) holdConfigMapWrites(t *testing.T, ctx context.Context, ns string) *holdWebhook {
	t.Helper()
	h := &holdWebhook{held: make(chan struct{}), released: make(chan struct{})}
	certPEM, cert := selfSignedCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		h.release()
		_ = srv.Close()
	})

	url := "https://" + ln.Addr().String() + "/hold"
	none, fail, timeout := admissionregistrationv1.SideEffectClassNone, admissionregistrationv1.Fail, int32(10)
	scope := admissionregistrationv1.NamespacedScope
	name := "shipsafe-e2e-hold-" + ns
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "hold.e2e.shipsafe.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: certPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"},
					Resources: []string{"configmaps"}, Scope: &scope},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{holdLabel: "yes"}},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	hooks := e.client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := hooks.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create ValidatingWebhookConfiguration %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := hooks.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete ValidatingWebhookConfiguration %s: %v", name, err)
		}
	})

	// The API server picks the configuration up after a moment: wait until a probe
	// (which the webhook denies at once) is denied.
	probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "hold-probe", Labels: map[string]string{holdLabel: "yes"}}}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, last = e.client.CoreV1().ConfigMaps(ns).Create(ctx, probe, metav1.CreateOptions{})
		if last == nil {
			_ = e.client.CoreV1().ConfigMaps(ns).Delete(ctx, probe.Name, metav1.DeleteOptions{})
		}
		return last != nil && strings.Contains(last.Error(), "hold probe"), nil
	})
	if err != nil {
		t.Fatalf("the hold webhook was never called (last probe: %v): %v", last, err)
	}
	return h
}

// waitHeld waits until a request is held, failing the test after timeout.
func (h *holdWebhook) waitHeld(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(timeout):
		t.Fatalf("no ConfigMap write was held within %s", timeout)
	}
}

// release lets the held request go on (denied). It may be called more than once.
func (h *holdWebhook) release() { h.relOnce.Do(func() { close(h.released) }) }

// ServeHTTP answers an AdmissionReview: probes and dry runs at once (denied and
// allowed), the first real write after release, later ones at once (allowed).
func (h *holdWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	switch {
	case review.Request.Name == "hold-probe":
		resp.Allowed, resp.Result = false, &metav1.Status{Message: "hold probe"}
	case review.Request.DryRun != nil && *review.Request.DryRun:
	default:
		first := false
		h.holdOnce.Do(func() { first = true; close(h.held) })
		if first {
			select {
			case <-h.released:
			case <-r.Context().Done():
			}
			resp.Allowed, resp.Result = false, &metav1.Status{Message: "held by the e2e test, then denied"}
		}
	}
	review.Response = resp
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

// selfSignedCert returns a certificate for 127.0.0.1 that is its own CA, as PEM (the
// webhook's CA bundle) and as a tls.Certificate (the server's).
func selfSignedCert(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "shipsafe-e2e-hold"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, cert
}

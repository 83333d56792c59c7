package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestRollbackAfterRollbackNeverRestoresLast leaves revision 3 failed in place with
// --rollback=never, as the error message then suggests runs `shipsafe rollback web`, and
// gets revision 2 (the last deployed, N-1) back, not revision 1.
func TestRollbackAfterRollbackNeverRestoresLast(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	web := func(img, version string) string {
		return workload{Name: "web", Image: img, Version: version, Replicas: 1, Service: true}.yaml()
	}

	wantExit(t, e.deployWeb(t, ctx, ns, web(naive, "v1")), 0)
	wantExit(t, e.deployWeb(t, ctx, ns, web(naive, "v2")), 0)
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--rollback", "never", "-f", writeManifest(t, web(crash, "v3")))
	wantExit(t, r, 3)
	wantContains(t, "rollback=never error", r.stderr, "shipsafe rollback web")

	r = e.shipsafe(t, ctx, "-n", ns, "rollback", "web")
	wantExit(t, r, 0)
	wantContains(t, "rollback output", r.stdout, "rollback to 2")
	e.serves(t, ctx, ns, "web", "v2")
	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 4 || st.Deployed.Description != "rollback to 2" {
		t.Errorf("status: deployed = %+v, want revision 4, rollback to 2", st.Deployed)
	}
}

// TestExitCodes runs each exit path that needs no deploy to reach it and checks the code:
// usage mistakes are 2, a read command the cluster cannot answer is 6 (nothing changed,
// so never 3), and a record too large to store is refused before the lock with 2.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// An API server that is not there: nothing listens on port 1 of loopback.
	unreachable := writeKubeconfig(t, &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}, &clientcmdapi.AuthInfo{Token: "x"})
	// A ServiceAccount that may do nothing: every request is forbidden.
	nobody := e.serviceAccountKubeconfig(t, ctx, ns, "nobody", nil)
	manifest := writeManifest(t, configMap("web-config", map[string]string{"color": "blue"}))

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown command", []string{"deploi", "web"}, 2, []string{`unknown command "deploi"`}},
		{"unknown flag", []string{"deploy", "web", "--no-such-flag", "-f", manifest}, 2, []string{"unknown flag: --no-such-flag"}},
		{"unknown root flag", []string{"--no-such-flag", "status", "web"}, 2, []string{"unknown flag: --no-such-flag"}},
		{"missing argument", []string{"status"}, 2, []string{"release name"}},
		{"bad output format", []string{"status", "web", "-o", "xml"}, 2, []string{"xml"}},
		{"status unreachable", []string{"--kubeconfig", unreachable, "status", "web"}, 6, []string{"127.0.0.1:1", "nothing was changed"}},
		{"history unreachable", []string{"--kubeconfig", unreachable, "history", "web"}, 6, []string{"127.0.0.1:1", "nothing was changed"}},
		{"list unreachable", []string{"--kubeconfig", unreachable, "list"}, 6, []string{"127.0.0.1:1", "nothing was changed"}},
		{"status forbidden", []string{"--kubeconfig", nobody, "status", "web"}, 6, []string{"forbidden", "nothing was changed"}},
		{"history forbidden", []string{"--kubeconfig", nobody, "history", "web"}, 6, []string{"forbidden", "nothing was changed"}},
		{"list forbidden", []string{"--kubeconfig", nobody, "list"}, 6, []string{"forbidden", "nothing was changed"}},
		{"status of no release", []string{"status", "nosuch"}, 2, []string{`release "nosuch" not found`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.shipsafe(t, ctx, append([]string{"-n", ns}, tc.args...)...)
			wantExit(t, r, tc.code)
			wantContains(t, tc.name+" error", r.stderr, tc.stderr...)
		})
	}
}

// TestRecordTooLargeRefusedBeforeLock deploys a release whose record would be over the
// store's 8 MiB limit while another holder has the lock: it exits 2 (bad input) rather
// than 4 (locked) or 3, proving the size is checked before the lock, and nothing changed.
func TestRecordTooLargeRefusedBeforeLock(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Random bytes in base64 compress to about 3/4: 12 ConfigMaps of 940 KiB of text
	// make a record of about 8.3 MiB after gzip.
	var docs []string
	for i := range 12 {
		raw := make([]byte, 705<<10)
		rng := rand.New(rand.NewChaCha8([32]byte{byte(i), 'x'}))
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		docs = append(docs, configMap(fmt.Sprintf("blob-%02d", i), map[string]string{"blob": base64.StdEncoding.EncodeToString(raw)}))
	}
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "shipsafe-big", Labels: map[string]string{"shipsafe.io/lock": "big", "owner": "shipsafe"}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("someone-else"), LeaseDurationSeconds: ptr.To[int32](600),
			AcquireTime: &now, RenewTime: &now},
	}
	_, err := e.client.CoordinationV1().Leases(ns).Create(ctx, lease, metav1.CreateOptions{})
	must(t, err)

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "big", "-f", writeManifest(t, docs...))
	wantExit(t, r, 2)
	wantContains(t, "too large error", r.stderr, "over the limit", "split the release")
	if recs := e.records(t, ctx, ns); len(recs) != 0 {
		t.Errorf("records written: %v", recs)
	}
	if e.exists(t, ctx, ns, "ConfigMap", "blob-00") {
		t.Error("ConfigMap blob-00 was applied")
	}
}

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestDeployedRecordDeniedOnceIsRetried refuses the write that records revision 2 as
// deployed (a real ValidatingAdmissionPolicy) until the deploy reports a retry, then
// lifts the policy: the deploy retries the write and succeeds.
func TestDeployedRecordDeniedOnceIsRetried(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	web := func(version string) string {
		return workload{Name: "web", Image: naive, Version: version, Replicas: 1}.yaml()
	}
	wantExit(t, e.deployWeb(t, ctx, ns, web("v1")), 0)

	policy := e.denyDeployedRecord(t, ctx, ns)
	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t, web("v2")))
	p.waitStderr("retrying", 2*time.Minute)
	policy.remove(t)
	r := p.wait(time.Minute)
	wantExit(t, r, 0)
	wantContains(t, "retried deploy stderr", r.stderr, "test policy: the deployed record is refused")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:deployed", got)
	}
	e.wantConsistent(t, ctx, ns, "web")
}

// TestDeployedRecordAlwaysDeniedIsCompletedNext refuses every write that records
// revision 2 as deployed: the deploy exits 3 saying the objects are ready but the record
// is pending. The next deploy, the policy lifted, completes revision 2 (it was ready)
// instead of rolling it back: the ConfigMap it created keeps its identity.
func TestDeployedRecordAlwaysDeniedIsCompletedNext(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	web := func(version string) string {
		return workload{Name: "web", Image: naive, Version: version, Replicas: 1}.yaml()
	}
	added := configMap("added-in-v2", map[string]string{"feature": "on"})
	wantExit(t, e.deployWeb(t, ctx, ns, web("v1")), 0)

	policy := e.denyDeployedRecord(t, ctx, ns)
	r := e.deployWeb(t, ctx, ns, web("v2"), added)
	wantExit(t, r, 3)
	wantContains(t, "denied deploy error", r.stderr, "record revision 2", "as deployed",
		"test policy: the deployed record is refused", "objects are deployed and ready", "tried 6 times")
	st := e.status(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "pending" {
		t.Fatalf("after the refused write: latest = %+v, want revision 2 pending", st.Latest)
	}
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "added-in-v2", metav1.GetOptions{})
	must(t, err)

	policy.remove(t)
	r = e.deployWeb(t, ctx, ns, web("v3"), added)
	wantExit(t, r, 0)
	wantContains(t, "next deploy output", r.stdout, "after all its objects were ready; recording it as deployed")
	if strings.Contains(r.stdout, "rolling back") {
		t.Errorf("the next deploy rolled revision 2 back:\n%s", r.stdout)
	}
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:superseded 3:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:superseded 3:deployed", got)
	}
	again, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "added-in-v2", metav1.GetOptions{})
	must(t, err)
	if again.UID != cm.UID {
		t.Errorf("ConfigMap added-in-v2 was deleted and created again (uid %s, then %s)", cm.UID, again.UID)
	}
	e.serves(t, ctx, ns, "web", "v3")
	e.wantConsistent(t, ctx, ns, "web")
}

// TestPruneDeniedIsRetriedByNextDeploy refuses (a real policy) the deletion of a
// ConfigMap that revision 2 no longer has: the deploy succeeds with a warning and
// records the object as unpruned; the next deploy, the policy lifted, prunes it.
func TestPruneDeniedIsRetriedByNextDeploy(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	web := workload{Name: "web", Image: naive, Version: "v1", Replicas: 1}.yaml()
	wantExit(t, e.deployWeb(t, ctx, ns, web, configMap("old-config", map[string]string{"a": "b"})), 0)

	const message = "test policy: old-config stays"
	cms := e.client.CoreV1().ConfigMaps(ns)
	policy := e.denyInNamespace(t, ctx, ns, "DELETE", "configmaps",
		"!(oldObject.metadata.name in ['old-config', 'policy-probe'])", message,
		func() error {
			// The probe ConfigMap is deleted while the policy is not enforced yet.
			probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "policy-probe"}}
			if _, err := cms.Create(ctx, probe, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return err
			}
			return cms.Delete(ctx, "policy-probe", metav1.DeleteOptions{})
		})

	r := e.deployWeb(t, ctx, ns, web)
	wantExit(t, r, 0)
	wantContains(t, "deploy with a refused prune", r.stdout, "prune:", message, "the next deploy deletes them")
	if !e.exists(t, ctx, ns, "ConfigMap", "old-config") {
		t.Fatal("old-config is gone though its deletion was refused")
	}

	policy.remove(t)
	r = e.deployWeb(t, ctx, ns, web)
	wantExit(t, r, 0)
	wantContains(t, "next deploy output", r.stdout, "pruned   ConfigMap "+ns+"/old-config")
	if e.exists(t, ctx, ns, "ConfigMap", "old-config") {
		t.Error("old-config still exists after the next deploy")
	}
	e.wantConsistent(t, ctx, ns, "web")
}

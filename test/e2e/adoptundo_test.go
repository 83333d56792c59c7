package e2e

import (
	"context"
	"fmt"
	"maps"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// handMadeObjects are a ConfigMap and a Deployment made by hand, as read back from the
// cluster before a deploy adopts them.
type handMadeObjects struct {
	config *corev1.ConfigMap
	web    *appsv1.Deployment
}

// revisionAnnotation is the annotation the Deployment controller writes after every
// change of the pod template: it counts rollouts, so putting a template back moves it on.
const revisionAnnotation = "deployment.kubernetes.io/revision"

// handMade creates, with the admin client as `kubectl create` would (its field manager),
// ConfigMap "settings" and Deployment "web" (image, VERSION=hand) in ns, each with labels
// and annotations of its own, and returns them as the API server stored them.
func (e *env) handMade(t *testing.T, ctx context.Context, ns, image string) handMadeObjects {
	t.Helper()
	create := metav1.CreateOptions{FieldManager: "kubectl-create"}
	cm, err := e.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings",
			Labels:      map[string]string{"team": "payments", "tier": "config"},
			Annotations: map[string]string{"owner": "alice", "note": "made by hand"}},
		Data: map[string]string{"color": "blue", "size": "10"},
	}, create)
	if err != nil {
		t.Fatalf("create ConfigMap settings: %v", err)
	}
	web, err := e.client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web",
			Labels:      map[string]string{"team": "payments", "app": "web"},
			Annotations: map[string]string{"owner": "alice", "note": "made by hand"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](1),
					Containers: []corev1.Container{{Name: "app", Image: image, ImagePullPolicy: corev1.PullNever,
						Env: []corev1.EnvVar{{Name: "VERSION", Value: "hand"}}}},
				},
			},
		},
	}, create)
	if err != nil {
		t.Fatalf("create Deployment web: %v", err)
	}
	return handMadeObjects{config: cm, web: web}
}

// adoptingRelease renders a release that takes over the hand-made objects and changes
// them: other data, labels and annotations, and Deployment web running image with
// readiness after readyAfter seconds (0: at once).
func adoptingRelease(image string, readyAfter int) []string {
	env := ""
	if readyAfter > 0 {
		env = fmt.Sprintf("\n        - {name: READY_AFTER, value: \"%d\"}", readyAfter)
	}
	return []string{`apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {team: web, added: by-release}
  annotations: {note: from the release}
data: {color: red, extra: "1"}
`, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {team: web, added: by-release}
  annotations: {note: from the release}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, added: by-release}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: %s
        imagePullPolicy: Never
        env:
        - {name: VERSION, value: release}%s
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
          failureThreshold: 200
`, image, env)}
}

// wantAsBefore checks, with the admin client, that the hand-made objects are back
// exactly as before: the ConfigMap's data, the Deployment's spec (as the API server
// stores it, defaults and all), their labels and annotations (but the Deployment
// controller's rollout counter), and no trace of shipsafe's ownership: no release label
// or namespace annotation, no field manager of shipsafe's.
func (e *env) wantAsBefore(t *testing.T, ctx context.Context, ns string, before handMadeObjects) {
	t.Helper()
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get ConfigMap settings: %v", err)
	}
	if !apiequality.Semantic.DeepEqual(cm.Data, before.config.Data) {
		t.Errorf("ConfigMap settings data is not as before adoption (- before, + now):\n%s", diff.Diff(before.config.Data, cm.Data))
	}
	wantSameMeta(t, "ConfigMap settings", before.config.ObjectMeta, cm.ObjectMeta)
	if cm.UID != before.config.UID {
		t.Errorf("ConfigMap settings was re-created (uid %s, was %s)", cm.UID, before.config.UID)
	}

	web, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Deployment web: %v", err)
	}
	if !apiequality.Semantic.DeepEqual(web.Spec, before.web.Spec) {
		t.Errorf("Deployment web spec is not as before adoption (- before, + now):\n%s", diff.Diff(before.web.Spec, web.Spec))
	}
	wantSameMeta(t, "Deployment web", before.web.ObjectMeta, web.ObjectMeta)
	if web.UID != before.web.UID {
		t.Errorf("Deployment web was re-created (uid %s, was %s)", web.UID, before.web.UID)
	}
}

// wantSameMeta checks that now has the labels and annotations of before (the Deployment
// controller's revisionAnnotation aside) and no field manager "shipsafe".
func wantSameMeta(t *testing.T, what string, before, now metav1.ObjectMeta) {
	t.Helper()
	if !maps.Equal(now.Labels, before.Labels) {
		t.Errorf("%s labels: %v, want as before adoption: %v", what, now.Labels, before.Labels)
	}
	ann := func(m map[string]string) map[string]string {
		c := maps.Clone(m)
		delete(c, revisionAnnotation)
		return c
	}
	if !maps.Equal(ann(now.Annotations), ann(before.Annotations)) {
		t.Errorf("%s annotations: %v, want as before adoption: %v", what, now.Annotations, before.Annotations)
	}
	for _, m := range now.ManagedFields {
		if m.Manager == "shipsafe" {
			t.Errorf("%s still has shipsafe's field manager entry (%s %s)", what, m.Operation, m.Subresource)
		}
	}
}

// TestFailedAdoptPutsObjectsBack: a ConfigMap and a Deployment made by hand; a first
// deploy with --adopt changes both, and its Deployment's image never pulls. The deploy
// fails (exit 1) and puts both back exactly as they were: data and spec, labels and
// annotations, without the release's ownership.
func TestFailedAdoptPutsObjectsBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := e.handMade(t, ctx, ns, naive)

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--adopt", "--ready-grace", "2s",
		"-f", writeManifest(t, adoptingRelease("local.test/does-not-exist:v0", 0)...))
	wantExit(t, r, 1)
	wantContains(t, "deploy output", r.stdout+r.stderr, "ErrImageNeverPull",
		"ConfigMap "+ns+"/settings: put back as it was before revision 1 adopted it",
		"apps/Deployment "+ns+"/web: put back as it was before revision 1 adopted it")
	e.wantAsBefore(t, ctx, ns, before)
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:failed" {
		t.Errorf("history: %s, want 1:failed", got)
	}
	e.wantManaged(t, ctx, ns, "web")
}

// TestSIGKILLDuringAdoptRecovers kills a deploy that adopted hand-made objects (with
// Helm's spelling, --take-ownership) while it waits for its slow Deployment. The next
// deploy of the release, of other objects, waits out the lock, recovers the interrupted
// revision and puts the adopted objects back exactly as they were.
func TestSIGKILLDuringAdoptRecovers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	before := e.handMade(t, ctx, ns, naive)

	p := e.start(t, "-n", ns, "deploy", "web", "--take-ownership", "--timeout", "5m",
		"-f", writeManifest(t, adoptingRelease(slow, 120)...))
	p.waitLine("waiting for", time.Minute)
	p.signal(syscall.SIGKILL)
	p.wait(30 * time.Second)
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get ConfigMap settings: %v", err)
	}
	if cm.Data["color"] != "red" || cm.Labels["shipsafe.io/release"] != "web" {
		t.Fatalf("the killed deploy had not adopted ConfigMap settings (data %v, labels %v); the test kills too early", cm.Data, cm.Labels)
	}

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--lock-wait", "1m",
		"-f", writeManifest(t, configMap("other", map[string]string{"k": "v"})))
	wantExit(t, r, 0)
	wantContains(t, "recovering deploy output", r.stdout, "revision 1 was left pending",
		"ConfigMap "+ns+"/settings: put back as it was before revision 1 adopted it",
		"apps/Deployment "+ns+"/web: put back as it was before revision 1 adopted it")
	e.wantAsBefore(t, ctx, ns, before)
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:failed 2:deployed" {
		t.Errorf("history: %s, want 1:failed 2:deployed", got)
	}
	e.wantManaged(t, ctx, ns, "web", "ConfigMap/other")
	e.wantConsistent(t, ctx, ns, "web")
}

package verify

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestWithJobChecks(t *testing.T) {
	t.Parallel()
	pod := specObject(t, `
apiVersion: v1
kind: Pod
metadata: {name: web-test-connection, labels: {app: web}, annotations: {helm.sh/hook: test}}
spec:
  containers: [{name: wget, image: busybox, command: [wget, "web:80"]}]
`)
	job := specObject(t, `
apiVersion: batch/v1
kind: Job
metadata: {name: web-smoke}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: smoke, image: smoke:1}]
`)
	out, err := WithJobChecks(nil, "web", []*unstructured.Unstructured{pod, job})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "web" || s.For != 0 || len(s.Checks) != 2 {
		t.Fatalf("spec = %+v", s)
	}
	p := s.Checks[0]
	if p.Name != "test-web-test-connection" || p.Job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever ||
		*p.Job.Spec.BackoffLimit != 0 || p.Job.Spec.Template.Labels["app"] != "web" {
		t.Errorf("pod test as job check: %+v", p.Job.Spec)
	}
	j := s.Checks[1]
	if j.Name != "test-web-smoke" || *j.Job.Spec.BackoffLimit != 2 || j.Job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("job test as job check: %+v", j.Job.Spec)
	}

	// An existing spec keeps its checks and window; it is not changed in place.
	base := specObject(t, fullSpec)
	merged, err := WithJobChecks(base, "ignored", []*unstructured.Unstructured{pod})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Parse(merged); len(s.Checks) != 4 || s.Name != "web" || s.For.String() != "2m0s" {
		t.Errorf("merged spec: %+v", s)
	}
	if s, _ := Parse(base); len(s.Checks) != 3 {
		t.Error("WithJobChecks changed its input")
	}

	cm := specObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	if _, err := WithJobChecks(nil, "web", []*unstructured.Unstructured{cm}); err == nil || !strings.Contains(err.Error(), "only Pods and Jobs") {
		t.Errorf("a ConfigMap test hook: %v", err)
	}
}

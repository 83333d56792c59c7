package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// denyPolicy is a real ValidatingAdmissionPolicy, bound to one namespace, that refuses
// some requests: the way tests make the API server fail a chosen write.
type denyPolicy struct {
	e       *env
	name    string
	message string
	probe   func() error
	removed bool
}

// denyInNamespace installs a policy that refuses operation on resource (core group) in
// ns whenever the CEL expression allow is false, with message, and waits until the API
// server enforces it: probe must do a request the policy refuses (it is called until it
// fails with message). The policy is removed when the test ends.
func (e *env) denyInNamespace(t *testing.T, ctx context.Context, ns, operation, resource, allow, message string, probe func() error) *denyPolicy {
	t.Helper()
	name := "shipsafe-e2e-" + ns + "-" + strings.ToLower(operation)
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.OperationType(operation)},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{resource}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: allow, Message: message}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns},
			}},
		},
	}
	api := e.client.AdmissionregistrationV1()
	_, err := api.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	must(t, err)
	p := &denyPolicy{e: e, name: name, message: message, probe: probe}
	t.Cleanup(func() { p.remove(t) })
	_, err = api.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{})
	must(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := probe()
		if err != nil && strings.Contains(err.Error(), message) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy %s not enforced after 30s: last probe: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// remove deletes the policy and its binding and waits until the API server no longer
// enforces it (its probe passes); later calls do nothing.
func (p *denyPolicy) remove(t *testing.T) {
	t.Helper()
	if p.removed {
		return
	}
	p.removed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := p.e.client.AdmissionregistrationV1()
	_ = api.ValidatingAdmissionPolicyBindings().Delete(ctx, p.name, metav1.DeleteOptions{})
	_ = api.ValidatingAdmissionPolicies().Delete(ctx, p.name, metav1.DeleteOptions{})
	for ctx.Err() == nil {
		if err := p.probe(); err == nil || !strings.Contains(err.Error(), p.message) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("policy %s still enforced 30s after its removal", p.name)
}

// statusLabel is the CEL for a record Secret's status label in object (or oldObject).
func statusLabel(object string) string {
	return "(has(" + object + ".metadata.labels) && 'shipsafe.io/status' in " + object + ".metadata.labels ? " +
		object + ".metadata.labels['shipsafe.io/status'] : '')"
}

// denyDeployedRecord refuses, in ns, every update of a record from pending to deployed.
func (e *env) denyDeployedRecord(t *testing.T, ctx context.Context, ns string) *denyPolicy {
	t.Helper()
	const message = "test policy: the deployed record is refused"
	allow := "!(" + statusLabel("object") + " == 'deployed' && " + statusLabel("oldObject") + " == 'pending')"
	secrets := e.client.CoreV1().Secrets(ns)
	probe := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "policy-probe", Labels: map[string]string{"shipsafe.io/status": "pending"}}}
	_, err := secrets.Create(ctx, probe, metav1.CreateOptions{})
	must(t, err)
	p := e.denyInNamespace(t, ctx, ns, "UPDATE", "secrets", allow, message, func() error {
		if _, err := secrets.Create(ctx, probe.DeepCopy(), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		s, err := secrets.Get(ctx, "policy-probe", metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Labels["shipsafe.io/status"] = "deployed"
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return err
		}
		// Not enforced yet: put the probe back to pending for the next try.
		s, err = secrets.Get(ctx, "policy-probe", metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Labels["shipsafe.io/status"] = "pending"
		_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
		return err
	})
	return p
}

// waitStderr waits until the process has printed substr on stderr.
func (p *proc) waitStderr(substr string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		got := strings.Contains(p.stderr.String(), substr)
		exited := p.exited
		p.mu.Unlock()
		switch {
		case got:
			return
		case exited || time.Now().After(deadline):
			p.t.Fatalf("shipsafe %v did not print %q on stderr:\n%s", p.args, substr, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

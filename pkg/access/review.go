package access

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/shipsafe/shipsafe/internal/fanout"
)

// reviewParallelism bounds the reviews in flight.
const reviewParallelism = 16

// Reviewer asks the API server what the caller may do.
type Reviewer struct {
	// Client sends the reviews (every authenticated user may).
	Client authorizationclient.AuthorizationV1Interface
}

// Missing returns those of perms the caller may not use, in the order of Sorted(perms).
// It is cheap: first one SelfSubjectRulesReview per namespace, whose rules allow most
// permissions at once; then one SelfSubjectAccessReview per distinct permission that
// those rules do not allow (cluster-wide ones, and any an authorizer other than RBAC
// may grant), sent in parallel. Only an access review finds a permission missing. An
// error means some reviews got no answer; nothing is ever changed.
func (r Reviewer) Missing(ctx context.Context, perms []Permission) ([]Permission, error) {
	perms = Sorted(perms)
	allowed := r.allowedByRules(ctx, perms)
	var unsure []Permission
	for i, p := range perms {
		if !allowed[i] {
			unsure = append(unsure, p)
		}
	}
	denied := make([]bool, len(unsure))
	err := fanout.Each(ctx, reviewParallelism, unsure, func(ctx context.Context, i int, p Permission) error {
		review, err := r.Client.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: p.Namespace, Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("review permission to %s: %w", p, err)
		}
		denied[i] = !review.Status.Allowed
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Permission
	for i, p := range unsure {
		if denied[i] {
			out = append(out, p)
		}
	}
	return out, nil
}

// allowedByRules marks the namespaced perms that the caller's rules in their namespace
// (one SelfSubjectRulesReview per namespace) allow. A review that fails allows nothing:
// the access reviews decide.
func (r Reviewer) allowedByRules(ctx context.Context, perms []Permission) []bool {
	var namespaces []string
	for _, p := range perms {
		if p.Namespace != "" && !slices.Contains(namespaces, p.Namespace) {
			namespaces = append(namespaces, p.Namespace)
		}
	}
	rules := make([][]authorizationv1.ResourceRule, len(namespaces))
	_ = fanout.Each(ctx, reviewParallelism, namespaces, func(ctx context.Context, i int, ns string) error {
		review, err := r.Client.SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns},
		}, metav1.CreateOptions{})
		if err == nil {
			rules[i] = review.Status.ResourceRules
		}
		return nil
	})
	allowed := make([]bool, len(perms))
	for i, p := range perms {
		if j := slices.Index(namespaces, p.Namespace); j >= 0 {
			allowed[i] = slices.ContainsFunc(rules[j], func(rule authorizationv1.ResourceRule) bool { return Grants(rule, p) })
		}
	}
	return allowed
}

// Grants reports whether rule allows p as RBAC matches rules: wildcards "*" for verbs,
// groups and resources, "*/sub" for a subresource of any resource; a rule limited to
// resource names grants no permission on the whole resource.
func Grants(rule authorizationv1.ResourceRule, p Permission) bool {
	if len(rule.ResourceNames) > 0 {
		return false
	}
	if !slices.Contains(rule.Verbs, "*") && !slices.Contains(rule.Verbs, p.Verb) {
		return false
	}
	if !slices.Contains(rule.APIGroups, "*") && !slices.Contains(rule.APIGroups, p.Group) {
		return false
	}
	return slices.ContainsFunc(rule.Resources, func(res string) bool {
		switch {
		case res == "*", res == p.rbacResource():
			return true
		case p.Subresource != "":
			sub, ok := strings.CutPrefix(res, "*/")
			return ok && sub == p.Subresource
		}
		return false
	})
}

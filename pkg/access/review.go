package access

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/shipsafe/shipsafe/internal/fanout"
)

// reviewParallelism bounds the SelfSubjectAccessReviews in flight.
const reviewParallelism = 16

// Reviewer asks the API server what the caller may do.
type Reviewer struct {
	// Client sends the SelfSubjectAccessReviews (every authenticated user may).
	Client authorizationclient.SelfSubjectAccessReviewsGetter
}

// Missing returns those of perms the caller may not use, in the order of Sorted(perms),
// with one SelfSubjectAccessReview per distinct permission, sent in parallel. An error
// means some reviews got no answer; nothing is ever changed.
func (r Reviewer) Missing(ctx context.Context, perms []Permission) ([]Permission, error) {
	perms = Sorted(perms)
	denied := make([]bool, len(perms))
	err := fanout.Each(ctx, reviewParallelism, perms, func(ctx context.Context, i int, p Permission) error {
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
	for i, p := range perms {
		if denied[i] {
			out = append(out, p)
		}
	}
	return out, nil
}

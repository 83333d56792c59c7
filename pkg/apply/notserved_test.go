package apply

import (
	"fmt"
	"net/http"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestNotServed(t *testing.T) {
	t.Parallel()
	gadgets := schema.GroupResource{Group: "example.com", Resource: "gadgets"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"the object is gone", apierrors.NewNotFound(gadgets, "old"), false},
		{"the resource is not served (a plain 404 page)",
			apierrors.NewGenericServerResponse(http.StatusNotFound, "get", gadgets, "old", "404 page not found", 0, true), true},
		{"wrapped", fmt.Errorf("get: %w",
			apierrors.NewGenericServerResponse(http.StatusNotFound, "get", gadgets, "old", "404 page not found", 0, true)), true},
		{"another error", apierrors.NewConflict(gadgets, "old", fmt.Errorf("changed")), false},
		{"no error", nil, false},
	}
	for _, tt := range tests {
		if got := notServed(tt.err); got != tt.want {
			t.Errorf("%s: notServed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

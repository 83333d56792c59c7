package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/release/store/storetest"
)

// TestSecretsMetadataConformance runs the suite against the Secret store that reads
// summaries from a metadata-only LIST.
func TestSecretsMetadataConformance(t *testing.T) {
	t.Parallel()
	cfg := clustertest.Config(t)
	cs := clustertest.Clientset(t)
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewSecrets(cs, clustertest.Namespace(t, cs)).WithMetadata(md)
	})
}

// TestSummariesReadMetadataOnly checks, through a transport that logs every request,
// that history summaries and list cost one metadata LIST and no record body; that a
// record written before summaries existed (no annotation) is still summarised, from its
// body; and that a summary which disagrees with its record's name is reported as damage.
func TestSummariesReadMetadataOnly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	cfg, log := clustertest.LoggedConfig(t)
	counted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewSecrets(counted, ns).WithMetadata(md)
	for n := 1; n <= 30; n++ {
		rev := pending("web", n)
		rev.Status, rev.Description = release.StatusSuperseded, "upgrade"
		if err := s.Create(ctx, rev); err != nil {
			t.Fatal(err)
		}
	}
	log.Take()

	sums, err := s.Summaries(ctx, "web")
	if err != nil || len(sums) != 30 || sums[29].Number != 30 || sums[29].Description != "upgrade" {
		t.Fatalf("summaries = %d, %v; want 30, the last revision 30", len(sums), err)
	}
	if got := log.Take(); len(got) != 1 || !strings.HasPrefix(got[0], "GET ") {
		t.Fatalf("summaries of 30 records sent %v, want one LIST", got)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Number != 30 {
		t.Fatalf("list = %v, %v; want web at 30", list, err)
	}
	if got := log.Take(); len(got) != 1 {
		t.Fatalf("list sent %v, want one LIST", got)
	}

	// An older record: the same Secret without its summary.
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, store.SecretName("web", 30), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := sec.Annotations[store.SummaryKey]
	delete(sec.Annotations, store.SummaryKey)
	if _, err := cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	sums, err = s.Summaries(ctx, "web")
	if err != nil || len(sums) != 30 || sums[29].Number != 30 || sums[29].Description != "upgrade" || sums[29].Status != release.StatusSuperseded {
		t.Fatalf("summaries with an older record = %d, %v; want its summary from the body", len(sums), err)
	}
	if got := log.Take(); len(got) != 2 || !strings.Contains(got[1], store.SecretName("web", 30)) {
		t.Fatalf("summaries with one older record sent %v, want a LIST and a GET of that record", got)
	}

	// A summary copied onto another record is not believed.
	sec, err = cs.CoreV1().Secrets(ns).Get(ctx, store.SecretName("web", 29), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Annotations[store.SummaryKey] = strings.Replace(want, `"number":30`, `"number":30,"reason":"forged"`, 1)
	if _, err := cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	sums, err = s.Summaries(ctx, "web")
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), store.SecretName("web", 29)) || len(sums) != 29 {
		t.Fatalf("summaries with a forged summary = %d, %v; want the 29 others and ErrDamaged naming it", len(sums), err)
	}
}

// Command seedrecords writes release records straight into the cluster, for the
// benchmarks of `list -A` and `history`: -releases releases with one deployed revision
// each, spread over -namespaces namespaces (created if missing), and one release "long"
// with -revisions revisions in the first namespace. Each revision records -objects
// ConfigMaps. Records are written by the Secret store, as a deploy writes them.
//
//	seedrecords -kubeconfig KC -prefix bench-rec -namespaces 10 -releases 1000 -revisions 1000 -objects 10
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	prefix := flag.String("prefix", "bench-rec", "namespace name prefix")
	namespaces := flag.Int("namespaces", 10, "namespaces to spread the releases over")
	releases := flag.Int("releases", 1000, "releases of one revision each")
	revisions := flag.Int("revisions", 1000, "revisions of the release \"long\"")
	objects := flag.Int("objects", 10, "ConfigMaps each revision records")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := run(ctx, *kubeconfig, *prefix, *namespaces, *releases, *revisions, *objects); err != nil {
		log.Fatalf("seedrecords: %v", err)
	}
}

func run(ctx context.Context, kubeconfig, prefix string, namespaces, releases, revisions, objects int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	nsName := func(i int) string { return fmt.Sprintf("%s-%d", prefix, i) }
	for i := range namespaces {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for r := range releases {
		g.Go(func() error {
			ns := nsName(r % namespaces)
			return create(gctx, store.NewSecrets(cs, ns), revision(fmt.Sprintf("rel-%04d", r), ns, 1, release.StatusDeployed, objects))
		})
	}
	for n := 1; n <= revisions; n++ {
		g.Go(func() error {
			status := release.StatusSuperseded
			if n == revisions {
				status = release.StatusDeployed
			}
			return create(gctx, store.NewSecrets(cs, nsName(0)), revision("long", nsName(0), n, status, objects))
		})
	}
	return g.Wait()
}

func create(ctx context.Context, s *store.Secrets, rev *release.Revision) error {
	err := s.Create(ctx, rev)
	if err != nil && !errors.Is(err, store.ErrExists) { // seeded by an earlier run
		return err
	}
	return nil
}

func revision(name, ns string, number int, status release.Status, objects int) *release.Revision {
	now := time.Now().UTC()
	rev := &release.Revision{
		Release: name, Namespace: ns, Number: number, Status: status, Source: "-f k8s/",
		Description: "upgrade", Holder: "seedrecords", StartedAt: now, UpdatedAt: now, FinishedAt: now,
		Applied: map[string]release.AppliedState{},
	}
	for i := range objects {
		o := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("%s-%03d", name, i), "namespace": ns, "labels": map[string]any{"shipsafe.io/release": name}},
			"data":     map[string]any{"version": fmt.Sprint(number), "payload": fmt.Sprintf("value %d of revision %d of %s", i, number, name)},
		}}
		rev.Objects = append(rev.Objects, o)
		rev.Applied["ConfigMap/"+ns+"/"+o.GetName()] = release.AppliedState{Digest: fmt.Sprintf("%064x", i*number), ResourceVersion: fmt.Sprint(1000 + i)}
	}
	return rev
}

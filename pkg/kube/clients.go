package kube

import (
	"fmt"
	"net/http"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Client-side rate limits. client-go's defaults (5 QPS, burst 10) make a deploy of a
// thousand objects take minutes, and even 100 QPS makes it slower than Helm. shipsafe
// bounds its own concurrency (apply.DefaultParallelism requests in flight), and the API
// server's priority and fairness protects the server, so the client limiter only needs
// to stop a runaway loop.
const (
	DefaultQPS   = 1000
	DefaultBurst = 2000
)

// LockClient returns the clientset for the release lock's Lease: Unfenced, or Typed
// when there is none.
func (c *Clients) LockClient() kubernetes.Interface {
	if c.Unfenced != nil {
		return c.Unfenced
	}
	return c.Typed
}

// Clients are the Kubernetes clients one command uses.
type Clients struct {
	Config    *rest.Config
	Typed     kubernetes.Interface
	Dynamic   dynamic.Interface
	Metadata  metadata.Interface
	Discovery discovery.CachedDiscoveryInterface
	Mapper    meta.ResettableRESTMapper
	// Namespace is the namespace from the flags or the kubeconfig context.
	Namespace string
	// Fence stops the writes of every client above once a release lock it holds is
	// lost (see Fence).
	Fence *Fence
	// Unfenced is a clientset that bypasses Fence: for the release lock's own Lease only.
	Unfenced kubernetes.Interface

	requests *atomic.Int64
}

// FromFlags builds Clients from kubectl-style flags (kubeconfig, context, namespace...).
func FromFlags(flags *genericclioptions.ConfigFlags) (*Clients, error) {
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w; check --kubeconfig, --context or KUBECONFIG", err)
	}
	ns, _, err := flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, fmt.Errorf("read namespace from kubeconfig: %w", err)
	}
	return New(cfg, ns)
}

// New builds Clients from a rest.Config, raising its rate limits to DefaultQPS and
// DefaultBurst unless they are set.
func New(cfg *rest.Config, namespace string) (*Clients, error) {
	cfg = rest.CopyConfig(cfg)
	requests := new(atomic.Int64)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return requestCounter{next: rt, n: requests} })
	if cfg.QPS == 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	unfenced, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build clientset: %w", err)
	}
	fence := &Fence{}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(fence.wrap)
	typed, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build clientset: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	// One discovery round per command; the deferred mapper resets it when a kind is not
	// found (a CRD applied earlier in the same deploy).
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build metadata client: %w", err)
	}
	disc := memory.NewMemCacheClient(typed.Discovery())
	if namespace == "" {
		namespace = "default"
	}
	return &Clients{
		Config:    cfg,
		Typed:     typed,
		Dynamic:   dyn,
		Metadata:  md,
		Discovery: disc,
		Mapper:    NewMemoMapper(restmapper.NewDeferredDiscoveryRESTMapper(disc)),
		Namespace: namespace,
		Fence:     fence,
		Unfenced:  unfenced,
		requests:  requests,
	}, nil
}

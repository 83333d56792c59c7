package verify

import (
	"fmt"
	"net/http"
	"strings"

	"k8s.io/client-go/rest"
)

// ServiceRef names a Service port that serves Prometheus's HTTP API. Checks reach it
// through the API server's service proxy, so a CI runner needs no network path into
// the cluster.
type ServiceRef struct {
	// Namespace is the Service's namespace; empty: the release namespace.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Port is the Service port's name or number; empty: its only port.
	Port string `json:"port,omitempty"`
}

// String renders the reference as NAMESPACE/NAME[:PORT], the --prometheus-service form.
func (s ServiceRef) String() string {
	out := s.Namespace + "/" + s.Name
	if s.Port != "" {
		out += ":" + s.Port
	}
	return out
}

// ParseServiceRef reads [NAMESPACE/]NAME[:PORT].
func ParseServiceRef(s string) (ServiceRef, error) {
	var r ServiceRef
	rest := s
	if ns, name, ok := strings.Cut(rest, "/"); ok {
		r.Namespace, rest = ns, name
		if ns == "" {
			return r, fmt.Errorf("%q: empty namespace; want [NAMESPACE/]NAME[:PORT], e.g. monitoring/prometheus:9090", s)
		}
	}
	r.Name, r.Port, _ = strings.Cut(rest, ":")
	if r.Name == "" || strings.ContainsAny(r.Name, "/:") || strings.ContainsAny(r.Port, "/:") {
		return r, fmt.Errorf("%q: want [NAMESPACE/]NAME[:PORT], e.g. monitoring/prometheus:9090", s)
	}
	return r, nil
}

// proxyAddress is the base URL of ref's Prometheus API through the API server's
// service proxy, and the transport (the kubeconfig's credentials) to use it with.
func proxyAddress(cfg *rest.Config, ref ServiceRef, releaseNS string) (string, http.RoundTripper, error) {
	if cfg == nil {
		return "", nil, fmt.Errorf("prometheus service %s: no cluster connection to reach it through", ref)
	}
	ns := ref.Namespace
	if ns == "" {
		ns = releaseNS
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("prometheus service %s: %w", ref, err)
	}
	name := ref.Name
	if ref.Port != "" {
		name += ":" + ref.Port
	}
	host := strings.TrimRight(cfg.Host, "/")
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	return fmt.Sprintf("%s/api/v1/namespaces/%s/services/%s/proxy", host, ns, name), rt, nil
}

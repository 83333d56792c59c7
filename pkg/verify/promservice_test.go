package verify

import (
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

func TestParseServiceRef(t *testing.T) {
	t.Parallel()
	good := map[string]ServiceRef{
		"monitoring/prometheus:9090": {Namespace: "monitoring", Name: "prometheus", Port: "9090"},
		"prometheus:web":             {Name: "prometheus", Port: "web"},
		"prometheus":                 {Name: "prometheus"},
		"mon/prometheus":             {Namespace: "mon", Name: "prometheus"},
	}
	for in, want := range good {
		if got, err := ParseServiceRef(in); err != nil || got != want {
			t.Errorf("ParseServiceRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/p", "a/b/c", "a:b:c", "ns/:9090"} {
		if _, err := ParseServiceRef(bad); err == nil || !strings.Contains(err.Error(), "[NAMESPACE/]NAME[:PORT]") {
			t.Errorf("ParseServiceRef(%q): error %v, want one naming the form", bad, err)
		}
	}
}

func TestProxyAddress(t *testing.T) {
	t.Parallel()
	cfg := &rest.Config{Host: "https://10.0.0.1:6443/"}
	addr, rt, err := proxyAddress(cfg, ServiceRef{Name: "prometheus", Port: "web"}, "shop")
	if err != nil || rt == nil {
		t.Fatalf("proxyAddress: %v (transport %v)", err, rt)
	}
	if want := "https://10.0.0.1:6443/api/v1/namespaces/shop/services/prometheus:web/proxy"; addr != want {
		t.Errorf("address %s, want %s", addr, want)
	}
	addr, _, _ = proxyAddress(cfg, ServiceRef{Namespace: "mon", Name: "prometheus"}, "shop")
	if want := "https://10.0.0.1:6443/api/v1/namespaces/mon/services/prometheus/proxy"; addr != want {
		t.Errorf("address %s, want %s", addr, want)
	}
	if _, _, err := proxyAddress(nil, ServiceRef{Name: "p"}, "shop"); err == nil {
		t.Error("no config: no error")
	}
}

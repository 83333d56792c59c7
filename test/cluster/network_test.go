package cluster

import (
	"reflect"
	"testing"
)

func TestSplitRule(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		`-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`: {
			"-A", "OUTPUT", "-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"},
		`-A FORWARD -m comment --comment "say \"hi\"" -j ACCEPT`: {
			"-A", "FORWARD", "-m", "comment", "--comment", `say "hi"`, "-j", "ACCEPT"},
		`-N KUBE-FIREWALL`:    {"-N", "KUBE-FIREWALL"},
		`-A X --comment ""`:   {"-A", "X", "--comment", ""},
		`  -P INPUT ACCEPT  `: {"-P", "INPUT", "ACCEPT"},
	}
	for line, want := range cases {
		if got := splitRule(line); !reflect.DeepEqual(got, want) {
			t.Errorf("splitRule(%q) = %q, want %q", line, got, want)
		}
	}
}

package cli

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
)

const testChart = "../../pkg/source/helm/testdata/charts/web"

func TestSourceKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		flags   sourceFlags
		want    string
		wantErr string
	}{
		{"files", sourceFlags{files: []string{"a.yaml", "-"}}, "-f", ""},
		{"kustomize", sourceFlags{kustomize: "overlay"}, "-k", ""},
		{"chart with values", sourceFlags{chart: "web", values: helm.Values{Files: []string{"v.yaml"}, Set: []string{"a=1"}}, skipHooks: []string{"test"}}, "--chart", ""},
		{"none", sourceFlags{}, "", "no source"},
		{"two kinds", sourceFlags{kustomize: "k", chart: "web"}, "", "-k and --chart exclude each other"},
		{"-f with --chart: values hint", sourceFlags{files: []string{"values.yaml"}, chart: "web"}, "", "pass values files with --values FILE"},
		{"chart-only flags without chart", sourceFlags{files: []string{"a.yaml"}, chartOnly: func() []string { return []string{"--version"} }}, "", "--version: chart flags, given without --chart"},
		{"three kinds", sourceFlags{files: []string{"a.yaml"}, kustomize: "k", chart: "web"}, "", "-f and -k and --chart"},
		{"values without chart", sourceFlags{files: []string{"a.yaml"}, values: helm.Values{SetString: []string{"a=1"}}}, "", "apply to --chart only"},
		{"skip-hooks without chart", sourceFlags{kustomize: "k", skipHooks: []string{"test"}}, "", "apply to --chart only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.flags.kind()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err) != ExitInput {
					t.Fatalf("kind() = %q, %v; want a usage error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("kind() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSkipHooks(t *testing.T) {
	t.Parallel()
	hooks := []helm.Hook{
		{Hook: release.Hook{Events: []string{"pre-install", "pre-delete"}}, Path: "a"},
		{Hook: release.Hook{Events: []string{"test"}}, Path: "b"},
		{Hook: release.Hook{Events: []string{"post-upgrade"}}, Path: "c"},
	}
	got := skipHooks(hooks, []string{"test", "pre-delete"})
	var desc []string
	for _, h := range got {
		desc = append(desc, h.Path+":"+strings.Join(h.Events, ","))
	}
	if s := strings.Join(desc, " "); s != "a:pre-install c:post-upgrade" {
		t.Errorf("skipHooks = %q, want %q", s, "a:pre-install c:post-upgrade")
	}
	if hooks[0].Events[1] != "pre-delete" {
		t.Error("skipHooks changed its input")
	}
}

func TestLoadChartDescribesWithoutSetValues(t *testing.T) {
	t.Parallel()
	s := sourceFlags{chart: testChart, values: helm.Values{Set: []string{"color=secret-ish"}, SetString: []string{"tag=1", "motd=x"}}}
	l, err := s.load(context.Background(), nil, func() (chartTarget, error) {
		return chartTarget{release: "web", namespace: "prod", revision: 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "--chart " + testChart + " (web 1.2.3) (1 --set) (2 --set-string)"
	if l.describe != want {
		t.Errorf("describe = %q, want %q", l.describe, want)
	}
	if strings.Contains(l.describe, "secret-ish") {
		t.Error("describe leaks a --set value")
	}
	if len(l.deployHooks()) != len(l.hooks) || len(l.hooks) == 0 {
		t.Errorf("deployHooks = %d, hooks = %d", len(l.deployHooks()), len(l.hooks))
	}
}

func TestRenderOffline(t *testing.T) {
	t.Parallel()
	var out, errb strings.Builder
	code := Run(context.Background(), []string{"render", "web", "--chart", testChart, "--offline", "-n", "prod", "--set", "color=red"},
		strings.NewReader(""), &out, &errb, nil)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	objs, err := manifest.Decode("render", strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	// CRDs, objects in Helm's install order, then hooks in run order (weight, name).
	want := "CustomResourceDefinition/widgets.example.com ConfigMap/web-web Service/web-web Deployment/web-cache " +
		"ConfigMap/seed Job/announce Pod/smoke Secret/aaa-first-by-name Job/migrate"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("render order:\n got %s\nwant %s", got, want)
	}
	data, _, _ := unstructured.NestedStringMap(objs[1].Object, "data")
	if data["color"] != "red" || data["release"] != "web/prod install=true upgrade=false revision=1" {
		t.Errorf("ConfigMap data = %v", data)
	}
}

func TestRenderUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"two sources", []string{"render", "web", "-f", "x.yaml", "--chart", testChart, "--offline"}, "exclude each other"},
		{"no release", []string{"render", "--chart", testChart, "--offline"}, "one release name"},
		{"bad output", []string{"render", "web", "--chart", testChart, "--offline", "-o", "table"}, "want yaml or json"},
		{"missing dependency", []string{"render", "web", "--chart", "../../pkg/source/helm/testdata/charts/missingdep", "--offline"}, "helm dependency build"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb strings.Builder
			if code := Run(context.Background(), tc.args, strings.NewReader(""), &out, &errb, nil); code != ExitInput {
				t.Errorf("exit %d, want %d", code, ExitInput)
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tc.want)
			}
		})
	}
}

func TestParseLabels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		labels  map[string]string
		wantErr string
	}{
		{map[string]string{"team": "web", "example.com/tier": "front"}, ""},
		{map[string]string{"shipsafe.io/status": "x"}, "shipsafe sets on its records"},
		{map[string]string{"owner": "me"}, "shipsafe sets on its records"},
		{map[string]string{"bad key!": "x"}, "--labels bad key!=x"},
		{map[string]string{"team": "not valid"}, "--labels team=not valid"},
	} {
		_, err := parseLabels(tt.labels)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("parseLabels(%v): %v", tt.labels, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != ExitInput):
			t.Errorf("parseLabels(%v) = %v; want a usage error containing %q", tt.labels, err, tt.wantErr)
		}
	}
}

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s"}, "data": map[string]any{"a": "c2VjcmV0"}, "stringData": map[string]any{"b": "secret"}}}
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c"}, "data": map[string]any{"a": "plain"}}}
	masked := maskSecrets([]*unstructured.Unstructured{secret, cm}, false)
	if masked[0].Object["data"].(map[string]any)["a"] != maskedValue || masked[0].Object["stringData"].(map[string]any)["b"] != maskedValue {
		t.Errorf("Secret not masked: %v", masked[0].Object)
	}
	if secret.Object["data"].(map[string]any)["a"] != "c2VjcmV0" {
		t.Error("masking changed the recorded object")
	}
	if masked[1].Object["data"].(map[string]any)["a"] != "plain" {
		t.Errorf("ConfigMap masked: %v", masked[1].Object)
	}
	if shown := maskSecrets([]*unstructured.Unstructured{secret}, true); shown[0].Object["data"].(map[string]any)["a"] != "c2VjcmV0" {
		t.Error("--show-secrets masked the Secret")
	}
}

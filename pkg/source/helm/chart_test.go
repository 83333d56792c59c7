package helm

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

const (
	webChart = "testdata/charts/web"
	valuesA  = "testdata/values/a.yaml"
	valuesB  = "testdata/values/b.yaml"
	motdFile = "testdata/values/motd.txt"
)

// render renders c, failing the test on error.
func render(t *testing.T, c Chart) *Rendered {
	t.Helper()
	r, err := c.Render(context.Background())
	if err != nil {
		t.Fatalf("render %s: %v", c.Path, err)
	}
	return r
}

// find returns the object of kind and name in objs, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// configData returns the data of the web chart's ConfigMap <release>-web.
func configData(t *testing.T, r *Rendered, release string) map[string]string {
	t.Helper()
	cm := find(r.Objects, "ConfigMap", release+"-web")
	if cm == nil {
		t.Fatalf("ConfigMap %s-web not rendered; objects: %v", release, keys(r.Objects))
	}
	data, _, err := unstructured.NestedStringMap(cm.Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func keys(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

func TestValuesPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values Values
		want   map[string]string
	}{
		{
			name: "chart defaults",
			want: map[string]string{"color": "blue", "replicas": "1", "replicasKind": "float64", "tag": "latest",
				"list": "a,b", "keep": "yes-from-chart", "over": "chart", "motd": ""},
		},
		{
			name:   "values file over chart, merged deeply, lists replaced",
			values: Values{Files: []string{valuesA}},
			want:   map[string]string{"color": "red", "over": "a", "keep": "yes-from-chart", "list": "x"},
		},
		{
			name:   "later values file wins, every document of a file merged",
			values: Values{Files: []string{valuesA, valuesB}},
			want:   map[string]string{"color": "green", "over": "a", "replicas": "4"},
		},
		{
			name:   "order of files matters",
			values: Values{Files: []string{valuesB, valuesA}},
			want:   map[string]string{"color": "red", "replicas": "4"},
		},
		{
			name:   "--set over files, typed",
			values: Values{Files: []string{valuesA}, Set: []string{"color=pink,replicas=3", "nested.over=set"}},
			want:   map[string]string{"color": "pink", "replicas": "3", "replicasKind": "int64", "over": "set"},
		},
		{
			name:   "--set list index replaces the chart's list; later --set wins",
			values: Values{Set: []string{"list[0]=z", "color=one", "color=two"}},
			want:   map[string]string{"list": "z", "color": "two"},
		},
		{
			name:   "--set-string over --set keeps strings",
			values: Values{Set: []string{"tag=7"}, SetString: []string{"replicas=5"}},
			want:   map[string]string{"tag": "7", "tagKind": "int64", "replicas": "5", "replicasKind": "string"},
		},
		{
			name:   "--set-file over --set-string",
			values: Values{SetString: []string{"motd=inline"}, SetFile: []string{"motd=" + motdFile}},
			want:   map[string]string{"motd": "hello\nworld\n"},
		},
		{
			name:   "--set-json",
			values: Values{SetJSON: []string{`nested={"over":"json"}`, `{"color":"teal"}`}},
			want:   map[string]string{"over": "json", "keep": "yes-from-chart", "color": "teal"},
		},
		{
			name:   "--set-literal keeps commas",
			values: Values{Set: []string{"color=a"}, SetLiteral: []string{"color=a,b=c"}},
			want:   map[string]string{"color": "a,b=c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := render(t, Chart{Path: webChart, Release: "rel", Namespace: "ns", Values: tt.values})
			got := configData(t, r, "rel")
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestValuesFromStdin(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: webChart, Release: "rel", Values: Values{Files: []string{valuesA, "-"}},
		Stdin: strings.NewReader("color: stdin\n")})
	if got := configData(t, r, "rel")["color"]; got != "stdin" {
		t.Errorf("color = %q, want stdin (the later file)", got)
	}
}

func TestBadInputMatchesErrInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		chart Chart
		want  []string
	}{
		{"missing dependency", Chart{Path: "testdata/charts/missingdep", Release: "r"},
			[]string{"missing from its charts/ directory: redis", "helm dependency build testdata/charts/missingdep"}},
		{"no such chart", Chart{Path: "testdata/charts/nope", Release: "r"}, []string{"does not exist"}},
		{"library chart", Chart{Path: "testdata/charts/library", Release: "r"}, []string{"library chart", "cannot be installed"}},
		{"bad --set", Chart{Path: webChart, Release: "r", Values: Values{Set: []string{"a[x]=1"}}}, []string{"--set a[x]=1"}},
		{"missing values file", Chart{Path: webChart, Release: "r", Values: Values{Files: []string{"testdata/values/nope.yaml"}}},
			[]string{"nope.yaml does not exist"}},
		{"remote values file", Chart{Path: webChart, Release: "r", Values: Values{Files: []string{"https://example.com/v.yaml"}}},
			[]string{"only local files"}},
		{"stdin twice", Chart{Path: webChart, Release: "r", Values: Values{Files: []string{"-", "-"}}, Stdin: strings.NewReader("")},
			[]string{"more than once"}},
		{"schema", Chart{Path: webChart, Release: "r", Values: Values{Set: []string{"color=5"}}}, []string{"schema", "color"}},
		{"no release name", Chart{Path: webChart}, []string{"release name is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.chart.Render(context.Background())
			if err == nil {
				t.Fatal("render succeeded, want an error")
			}
			if !errors.Is(err, manifest.ErrInvalid) {
				t.Errorf("error %v does not match manifest.ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestReleaseAndOfflineCapabilities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		chart Chart
		want  string
	}{
		{"install", Chart{Path: webChart, Release: "web", Namespace: "prod"}, "web/prod install=true upgrade=false revision=1"},
		{"upgrade", Chart{Path: webChart, Release: "web", Namespace: "prod", IsUpgrade: true, Revision: 7}, "web/prod install=false upgrade=true revision=7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := configData(t, render(t, tt.chart), "web")
			if data["release"] != tt.want {
				t.Errorf("release = %q, want %q", data["release"], tt.want)
			}
			// Offline, like helm template: lookup gives an empty map, default capabilities.
			if data["lookup"] != "absent" || data["lookupType"] != "map" {
				t.Errorf("lookup = %q (%s), want absent (map)", data["lookup"], data["lookupType"])
			}
			if data["hasWidgets"] != "false" {
				t.Errorf("hasWidgets = %q offline, want false", data["hasWidgets"])
			}
		})
	}
}

func TestObjectsHooksAndNotes(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: webChart, Release: "web", Namespace: "prod"})
	// CRDs first, then templates in Helm's install order (Service before Deployment), the
	// sub-chart included, with its values overridden by the parent's; no hooks, no notes.
	wantObjs := []string{"CustomResourceDefinition/widgets.example.com", "ConfigMap/web-web", "Service/web-web", "Deployment/web-cache"}
	if got := keys(r.Objects); strings.Join(got, " ") != strings.Join(wantObjs, " ") {
		t.Errorf("objects = %v, want %v", got, wantObjs)
	}
	if r.CRDs != 1 {
		t.Errorf("CRDs = %d, want 1", r.CRDs)
	}
	if img, _, _ := unstructured.NestedSlice(find(r.Objects, "Deployment", "web-cache").Object, "spec", "template", "spec", "containers"); len(img) != 1 || img[0].(map[string]any)["image"] != "cache:1" {
		t.Errorf("sub-chart containers = %v, want image cache:1 (parent's cache.size)", img)
	}
	wantHooks := []struct {
		kind, name string
		events     string
		weight     int
		policies   string
	}{
		{"ConfigMap", "seed", "pre-install", -1, ""},
		{"Job", "announce", "post-upgrade", 0, ""},
		{"Pod", "smoke", "test", 0, ""},
		{"Secret", "aaa-first-by-name", "pre-install", 5, ""},
		{"Job", "migrate", "pre-upgrade,pre-install", 5, "before-hook-creation,hook-succeeded"},
	}
	if len(r.Hooks) != len(wantHooks) {
		t.Fatalf("hooks = %v, want %d", r.Hooks, len(wantHooks))
	}
	for i, w := range wantHooks {
		h := r.Hooks[i]
		if h.Object.GetKind() != w.kind || h.Object.GetName() != w.name || strings.Join(h.Events, ",") != w.events ||
			h.Weight != w.weight || strings.Join(h.DeletePolicies, ",") != w.policies || h.Path != "web/templates/hooks.yaml" {
			t.Errorf("hook %d = %s/%s %v weight %d policies %v path %s; want %+v", i, h.Object.GetKind(), h.Object.GetName(),
				h.Events, h.Weight, h.DeletePolicies, h.Path, w)
		}
	}
	if !r.Hooks[4].Has(PreInstall) || r.Hooks[4].Has(PostInstall) {
		t.Errorf("Has: migrate events %v", r.Hooks[4].Events)
	}
	if r.Notes != "Thank you for installing web as web.\n" {
		t.Errorf("notes = %q", r.Notes)
	}
	if len(r.Unknown) != 0 || len(r.Warnings) != 0 {
		t.Errorf("unknown %v, warnings %v; want none", r.Unknown, r.Warnings)
	}
}

func TestDependencyCondition(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: webChart, Release: "web", Values: Values{Set: []string{"cache.enabled=false"}}})
	if find(r.Objects, "Deployment", "web-cache") != nil {
		t.Errorf("cache.enabled=false still renders the sub-chart: %v", keys(r.Objects))
	}
}

func TestUnknownHookIsReported(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: "testdata/charts/typo", Release: "r"})
	if got := keys(r.Objects); len(got) != 1 || got[0] != "ConfigMap/kept" {
		t.Errorf("objects = %v, want only ConfigMap/kept (Helm drops the typo'd hook)", got)
	}
	if len(r.Unknown) != 1 || r.Unknown[0].Object.GetName() != "typoed" || r.Unknown[0].Events[0] != "pre-instal" {
		t.Errorf("unknown = %+v, want Job/typoed with event pre-instal", r.Unknown)
	}
	if _, err := (Chart{Path: "testdata/charts/typo", Release: "r"}).Load(context.Background()); err == nil {
		t.Error("Load of a chart with hooks succeeded; want it refused")
	}
}

func TestPackagedChart(t *testing.T) {
	t.Parallel()
	tgz := packageChart(t, webChart)
	if filepath.Ext(tgz) != ".tgz" {
		t.Fatalf("package %s is not a .tgz", tgz)
	}
	dir := render(t, Chart{Path: webChart, Release: "web", Values: Values{Set: []string{"color=x"}}})
	pkg := render(t, Chart{Path: tgz, Release: "web", Values: Values{Set: []string{"color=x"}}})
	if strings.Join(keys(dir.Objects), " ") != strings.Join(keys(pkg.Objects), " ") || len(dir.Hooks) != len(pkg.Hooks) {
		t.Errorf("packaged chart renders %v + %d hooks, directory %v + %d", keys(pkg.Objects), len(pkg.Hooks), keys(dir.Objects), len(dir.Hooks))
	}
	if configData(t, pkg, "web")["color"] != "x" {
		t.Error("values not applied to the packaged chart")
	}
}

func TestLoadWithoutHooks(t *testing.T) {
	t.Parallel()
	objs, err := Chart{Path: webChart, Release: "web", Values: Values{Set: []string{"cache.enabled=false"}}}.Load(context.Background())
	if err == nil {
		t.Fatalf("Load of the web chart (it has hooks) returned %v, want an error", keys(objs))
	}
	if !strings.Contains(err.Error(), "use Render") {
		t.Errorf("error %q does not point to Render", err)
	}
}

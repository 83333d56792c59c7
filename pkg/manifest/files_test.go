package manifest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func keyStrings(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = KeyOf(o).String()
	}
	return out
}

func TestFileSourceLoad(t *testing.T) {
	t.Parallel()
	const stdinDoc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-stdin\n"
	tests := []struct {
		name  string
		paths []string
		stdin io.Reader
		want  []string
	}{
		{
			name:  "directory recursive sorted, only manifest extensions, hidden skipped",
			paths: []string{"testdata/app"},
			want:  []string{"apps/Deployment web", "Service web", "ConfigMap web-config"},
		},
		{
			name:  "multi-document with header, empty and comment-only documents",
			paths: []string{"testdata/multi.yaml"},
			want:  []string{"Namespace shop", "rbac.authorization.k8s.io/ClusterRole ignored-later/system:shop-reader", "ConfigMap shop/shop-config"},
		},
		{
			name:  "List and *List kinds are flattened",
			paths: []string{"testdata/list.yaml"},
			want:  []string{"ConfigMap one", "Secret two", "ConfigMap three"},
		},
		{
			name:  "JSON stream of several objects",
			paths: []string{"testdata/stream.json"},
			want:  []string{"ConfigMap a", "ConfigMap b"},
		},
		{
			name:  "CRLF line endings",
			paths: []string{"testdata/crlf.yaml"},
			want:  []string{"ConfigMap crlf", "ConfigMap crlf-two"},
		},
		{
			name:  "stdin between files keeps argument order",
			paths: []string{"testdata/stream.json", "-", "testdata/list.yaml"},
			stdin: strings.NewReader(stdinDoc),
			want:  []string{"ConfigMap a", "ConfigMap b", "ConfigMap from-stdin", "ConfigMap one", "Secret two", "ConfigMap three"},
		},
		{
			name:  "explicit file with any extension",
			paths: []string{"testdata/app/sub/30-config.json"},
			want:  []string{"ConfigMap web-config"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs, err := FileSource{Paths: tt.paths, Stdin: tt.stdin}.Load(context.Background())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := keyStrings(objs); !slices.Equal(got, tt.want) {
				t.Errorf("keys:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestFileSourceLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		paths       []string
		stdin       io.Reader
		wantInvalid bool
		// want are substrings the error message must contain.
		want []string
		// count is the number of joined errors expected (0: do not check).
		count int
	}{
		{
			name:        "malformed YAML names file, absolute line and document",
			paths:       []string{"testdata/bad/malformed.yaml"},
			wantInvalid: true,
			want:        []string{"testdata/bad/malformed.yaml:6 (document 2): malformed YAML", "line 9: did not find expected key", "fix the syntax"},
			count:       1,
		},
		{
			name:        "missing fields are all reported",
			paths:       []string{"testdata/bad/missing.yaml"},
			wantInvalid: true,
			want: []string{
				"testdata/bad/missing.yaml:1 (document 1): missing kind;",
				"missing.yaml:5 (document 2): missing metadata.name; set metadata.name: generateName is not supported",
				"missing.yaml:10 (document 3): missing apiVersion, metadata.name;",
			},
			count: 3,
		},
		{
			name:        "invalid names use the rule of the kind",
			paths:       []string{"testdata/bad/names.yaml"},
			wantInvalid: true,
			want: []string{
				`names.yaml:1 (document 1): Deployment: metadata.name "Web_1" is invalid: a lowercase RFC 1123 subdomain`,
				`names.yaml:6 (document 2): Service: metadata.name "1web" is invalid: a DNS-1035 label`,
				`names.yaml:11 (document 3): ConfigMap ok: metadata.namespace "Bad.NS" is invalid`,
			},
			count: 3,
		},
		{
			name:        "duplicates across files name both places",
			paths:       []string{"testdata/bad/dup-a.yaml", "testdata/bad/dup-b.yaml"},
			wantInvalid: true,
			want:        []string{"duplicate object ConfigMap shop/same: defined in testdata/bad/dup-a.yaml:1 (document 1) and in testdata/bad/dup-b.yaml:7 (document 2)"},
			count:       1,
		},
		{
			name:        "top level that is not a mapping",
			paths:       []string{"testdata/bad/notmap.yaml"},
			wantInvalid: true,
			want:        []string{"notmap.yaml:1 (document 1): document is a list, not an object", "notmap.yaml:4 (document 2): document is a scalar"},
			count:       2,
		},
		{
			name:        "repeated key in a mapping",
			paths:       []string{"testdata/bad/dupkey.yaml"},
			wantInvalid: true,
			want:        []string{"dupkey.yaml:1 (document 1): malformed YAML", `line 8: key "data" already set in map`},
			count:       1,
		},
		{
			name:        "bad List item names the item",
			paths:       []string{"testdata/bad/list-items.yaml"},
			wantInvalid: true,
			want:        []string{`list-items.yaml:1 (document 1, item 2): ConfigMap: metadata.name "Bad" is invalid`},
			count:       1,
		},
		{
			name:        "malformed JSON",
			paths:       []string{"testdata/bad/broken.json"},
			wantInvalid: true,
			want:        []string{"testdata/bad/broken.json:1 (document 1): malformed JSON: line 6: did not find expected ',' or '}'"},
			count:       1,
		},
		{
			name:        "kustomization file",
			paths:       []string{"testdata/bad/kustomization-file.yaml"},
			wantInvalid: true,
			want:        []string{"this is a kustomization file", "kubectl kustomize"},
		},
		{
			name:        "directory holding a kustomization",
			paths:       []string{"testdata/kust"},
			wantInvalid: true,
			want:        []string{"testdata/kust is a kustomization"},
		},
		{
			name:        "directory holding a Helm chart",
			paths:       []string{"testdata/chart"},
			wantInvalid: true,
			want:        []string{"testdata/chart is a Helm chart", "helm template"},
		},
		{
			name:        "missing path",
			paths:       []string{"testdata/nope.yaml"},
			wantInvalid: true,
			want:        []string{"manifest path testdata/nope.yaml does not exist"},
		},
		{
			name:        "nothing to deploy",
			paths:       []string{"testdata/empty"},
			wantInvalid: true,
			want:        []string{"no objects found in testdata/empty"},
		},
		{
			name:        "no paths",
			wantInvalid: true,
			want:        []string{"no manifest paths given"},
		},
		{
			name:        "stdin named twice",
			paths:       []string{"-", "-"},
			stdin:       strings.NewReader(""),
			wantInvalid: true,
			want:        []string{"more than once"},
		},
		{
			name:        "dash without stdin",
			paths:       []string{"-"},
			wantInvalid: true,
			want:        []string{"no stdin"},
		},
		{
			name:  "stdin read failure is not bad input",
			paths: []string{"-"},
			stdin: iotest.ErrReader(errors.New("broken pipe")),
			want:  []string{"read <stdin>: broken pipe"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs, err := FileSource{Paths: tt.paths, Stdin: tt.stdin}.Load(context.Background())
			if err == nil {
				t.Fatalf("Load returned %d objects and no error", len(objs))
			}
			if got := errors.Is(err, ErrInvalid); got != tt.wantInvalid {
				t.Errorf("errors.Is(err, ErrInvalid) = %v, want %v (err: %v)", got, tt.wantInvalid, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.count > 0 {
				var joined interface{ Unwrap() []error }
				n := 1
				if errors.As(err, &joined) {
					n = len(joined.Unwrap())
				}
				if n != tt.count {
					t.Errorf("got %d errors, want %d:\n%v", n, tt.count, err)
				}
			}
		})
	}
}

func TestFileSourceLoadHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := FileSource{Paths: []string{"testdata/app"}}.Load(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestDocumentErrorAs(t *testing.T) {
	t.Parallel()
	_, err := Decode("in.yaml", strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\nkind: Secret\n"))
	var de *DocumentError
	if !errors.As(err, &de) {
		t.Fatalf("errors.As(*DocumentError) failed for %v", err)
	}
	want := Location{Source: "in.yaml", Line: 5, Document: 2}
	if de.Location != want {
		t.Errorf("location = %+v, want %+v", de.Location, want)
	}
}

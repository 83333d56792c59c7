package manifest

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		want    []string // keys when no error is expected
		wantErr string
	}{
		{name: "multi-document", fixture: "testdata/multi.yaml",
			want: []string{"Namespace shop", "rbac.authorization.k8s.io/ClusterRole ignored-later/system:shop-reader", "ConfigMap shop/shop-config"}},
		{name: "JSON stream", fixture: "testdata/stream.json", want: []string{"ConfigMap a", "ConfigMap b"}},
		{name: "comment-only stream decodes to nothing", fixture: "testdata/empty/only-comments.yaml", want: []string{}},
		{name: "duplicates inside one stream", fixture: "testdata/bad/dup-same-file.yaml",
			wantErr: "duplicate object ConfigMap same: defined in rendered chart:1 (document 1) and in rendered chart:5 (document 2)"},
		{name: "errors use the given source name", fixture: "testdata/bad/missing.yaml",
			wantErr: "rendered chart:1 (document 1): missing kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(tt.fixture)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			objs, err := Decode("rendered chart", f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want an ErrInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := keyStrings(objs); !slices.Equal(got, tt.want) {
				t.Errorf("keys:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

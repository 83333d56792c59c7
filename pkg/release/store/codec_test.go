package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

func TestCodecKeepsKubernetesNumbers(t *testing.T) {
	t.Parallel()
	rev := &release.Revision{Release: "web", Number: 1, Status: release.StatusPending, Objects: []*unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"spec": map[string]any{"replicas": int64(3), "ratio": 0.25, "big": int64(1 << 53)},
	}}}}
	rev.Adopted = []*unstructured.Unstructured{rev.Objects[0].DeepCopy()}
	body, err := encode(rev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(body)
	if err != nil {
		t.Fatal(err)
	}
	for what, objs := range map[string][]*unstructured.Unstructured{"objects": got.Objects, "adopted": got.Adopted} {
		if len(objs) != 1 {
			t.Fatalf("%s after a round trip: %d, want 1", what, len(objs))
		}
		spec := objs[0].Object["spec"].(map[string]any)
		if spec["replicas"] != int64(3) || spec["ratio"] != 0.25 || spec["big"] != int64(1<<53) {
			t.Fatalf("numbers of %s after a round trip: %#v", what, spec)
		}
	}
}

func TestCodecRejects(t *testing.T) {
	t.Parallel()
	if _, err := encode(&release.Revision{Release: "web", Number: 2, Objects: []*unstructured.Unstructured{nil}}); err == nil || !strings.Contains(err.Error(), "object 0 is nil") {
		t.Fatalf("encode with a nil object: err = %v", err)
	}
	for _, body := range [][]byte{nil, []byte("plain text"), {0x1f, 0x8b, 0x08}} {
		if _, err := decode(body); err == nil || !strings.HasPrefix(err.Error(), "decode release record") {
			t.Errorf("decode(%q): err = %v, want a decode error", body, err)
		}
	}
}

func TestCodecCompresses(t *testing.T) {
	t.Parallel()
	// Typical manifests compress well: 300 similar ConfigMaps must take far less than their JSON.
	rev := &release.Revision{Release: "web", Number: 1, Status: release.StatusDeployed}
	for i := range 300 {
		rev.Objects = append(rev.Objects, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "cm-" + strings.Repeat("x", i%7), "namespace": "apps", "labels": map[string]any{"shipsafe.io/release": "web"}},
			"data":     map[string]any{"config.yaml": "log-level: info\nport: 8080\nfeature-flags: [a, b, c]\n"},
		}})
	}
	raw, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	body, err := encode(rev)
	if err != nil {
		t.Fatal(err)
	}
	if len(body)*10 > len(raw) {
		t.Fatalf("encoded %d bytes of JSON into %d; want better than 10:1 on repetitive manifests", len(raw), len(body))
	}
}

// TestCodecRefusesGzipBomb decodes a small body that decompresses to more than
// MaxDecodedSize: it is refused after reading at most the limit.
func TestCodecRefusesGzipBomb(t *testing.T) {
	t.Parallel()
	body := gzipBomb(t, MaxDecodedSize+1<<20)
	if len(body) > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed; want a small one", len(body))
	}
	_, err := decode(body)
	if err == nil || !strings.Contains(err.Error(), "decompresses to more than") {
		t.Fatalf("decode(bomb): err = %v, want a refusal", err)
	}
}

// gzipBomb returns n zero bytes gzip'd.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for written := 0; written < n; written += len(zeros) {
		if _, err := zw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCodecCompressesLargeRecordsHardest: a body that the fastest compression leaves
// over one Secret's part is compressed at the default level, as every body was before,
// so that a large record takes no more parts than it did.
func TestCodecCompressesLargeRecordsHardest(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 1400<<10)
	for i := range text {
		text[i] = "abcdefghijklmnopqrstuvwxyz0123456789 \n"[rng.IntN(38)]
	}
	rev := &release.Revision{Release: "web", Number: 1, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "big"}, "data": map[string]any{"text": string(text)},
	}}}}
	raw, err := marshalRevision(rev)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := compress(raw, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) <= MaxPartSize {
		t.Fatalf("the test body compresses to %d bytes at best speed, within a part: make it larger", len(fast))
	}
	body, err := encode(rev)
	if err != nil {
		t.Fatal(err)
	}
	want, err := compress(raw, gzip.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("a body over a part was encoded into %d bytes, want the default level's %d (best speed: %d)", len(body), len(want), len(fast))
	}
	if got, err := decode(body); err != nil || len(got.Objects) != 1 {
		t.Errorf("decode: %v", err)
	}
}

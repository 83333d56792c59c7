package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// viaJSON decodes a YAML document the way the manifests were decoded before fastYAML:
// YAML to JSON, then JSON with Kubernetes' number rules.
func viaJSON(doc []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var v any
	err = utiljson.Unmarshal(js, &v)
	return v, err
}

// fastYAMLCases are documents with the values whose JSON round trip is subtle.
var fastYAMLCases = []string{
	"a: 1\nb: -7\nc: 9223372036854775807\nd: 9223372036854775808\ne: 18446744073709551616\n",
	"cpu: 0.5\nf: 1.0\ng: 1e3\nh: 1.5e-7\ni: -0.0\nj: .inf\nk: -.inf\nl: .nan\nm: 0x1F\nn: 0o17\no: 017\np: 1_000\n",
	"f: 1.0\n", "f: 2e3\n", "cpu: 0.5\n", "h: 1.5e-7\n", "z: -0.0\n", "big: 9223372036854775808\n", "huge: 1e300\n",
	"yes: no\non: off\ny: n\nt: true\nf: False\nnull1: null\nnull2: ~\nnull3:\n",
	"1: one\n2.5: two\ntrue: three\n",
	"ts: 2001-12-14t21:59:43.10-05:00\nday: 2002-12-14\ntagged: !!timestamp 2001-12-14\n",
	"bin: !!binary R0lGODlhDAAMAIQAAP//9/X17unp5WZmZgAAAOfn515eXvPz7Y6OjuDg4J+fn5OTk6enp56enmleECcgggoBADs=\n",
	"s: !!str 123\ni: !!int \"42\"\nf: !!float 3\n",
	"base: &b {x: 1, q: [1, 2]}\nderived:\n  <<: *b\n  z: 3\n",
	"merge: &m {y: 1}\nagain: {<<: *m}\n",
	"html: \"<a href='x'>&amp;</a>\"\nuni: \"h\\u00e9 \\U0001F600\"\nesc: \"\\x41\\t\\n\"\nfolded: >\n  a\n  b\nlit: |\n  a\n  b\n",
	"list:\n- 1\n- a\n- [x, {q: 2}]\n- {}\n- []\n- null\nemptymap: {}\n",
	"",
	"# only a comment\n",
	"- a\n- b\n",
	"just a scalar\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
	"dup: 1\ndup: 2\n",
	"bad: [unclosed\n",
	"k: \"\\xff\"\n",
}

// TestFastYAMLMatchesTheJSONRoundTrip: wherever fastYAML decodes a document, it gives
// exactly what the JSON round trip gives, on the cases above and on every YAML file of
// this repository; and it does decode the usual ones (it is not always falling back).
func TestFastYAMLMatchesTheJSONRoundTrip(t *testing.T) {
	t.Parallel()
	docs := map[string][]byte{}
	for i, c := range fastYAMLCases {
		docs[fmt.Sprintf("case %d", i)] = []byte(c)
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".cluster" || d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, doc := range bytes.Split(data, []byte("\n---")) {
			docs[fmt.Sprintf("%s document %d", path, i+1)] = doc
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fast := 0
	for name, doc := range docs {
		got, ok := fastYAML(doc)
		if !ok {
			continue
		}
		fast++
		want, err := viaJSON(doc)
		if err != nil {
			t.Errorf("%s: fastYAML decoded it, the JSON round trip fails: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fastYAML gives\n%#v\nthe JSON round trip\n%#v", name, got, want)
		}
	}
	t.Logf("fastYAML decoded %d of %d documents", fast, len(docs))
	if len(docs) < 150 || fast*10 < len(docs)*8 {
		t.Errorf("fastYAML decoded %d of %d documents; want most", fast, len(docs))
	}
	for _, usual := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n        ports: [{containerPort: 8080}]\n        resources: {limits: {cpu: 0.5, memory: 128Mi}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-0001\ndata:\n  version: \"2\"\n  payload: \"value-1-of-1000\"\n",
	} {
		if _, ok := fastYAML([]byte(usual)); !ok {
			t.Errorf("fastYAML fell back on a usual document:\n%s", usual)
		}
	}
}

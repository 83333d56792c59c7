package helm

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// PostRenderer is an executable that rewrites a chart's rendered objects, as Helm 3's
// --post-renderer runs one: the objects (not hooks, not CRDs of crds/) go to its stdin as
// one YAML stream, and what it prints on stdout replaces them.
type PostRenderer struct {
	// Path is the executable: a path, or a name looked up in PATH.
	Path string
	// Args are its arguments (--post-renderer-args).
	Args []string
}

// run passes manifests through the post-renderer and decodes its output. A missing
// executable, a failing run or output that does not decode is an InvalidError.
func (p *PostRenderer) run(ctx context.Context, manifests []util.Manifest) ([]*unstructured.Unstructured, error) {
	bin, err := exec.LookPath(p.Path)
	if err != nil {
		return nil, invalidf("--post-renderer %s: %v; give the path of an executable", p.Path, err)
	}
	var in bytes.Buffer
	for _, m := range manifests {
		fmt.Fprintf(&in, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, p.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("post-renderer %s: %w", p.Path, ctx.Err())
		}
		return nil, invalidf("post-renderer %s: %v: %s", p.Path, err, strings.TrimSpace(errb.String()))
	}
	if strings.TrimSpace(out.String()) == "" {
		return nil, invalidf("post-renderer %s printed nothing; it must print the objects it was given, changed", p.Path)
	}
	objs, err := manifest.Decode("post-renderer "+p.Path, &out)
	if err != nil {
		return nil, invalid(err, "post-renderer %s output", p.Path)
	}
	return objs, nil
}

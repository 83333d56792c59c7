package deploy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// configMaps returns n ConfigMaps cm-000.. with value v, except those named in changed,
// whose value is "changed".
func configMaps(n int, v string, changed ...string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, n)
	for i := range out {
		name := fmt.Sprintf("cm-%03d", i)
		val := v
		if slices.Contains(changed, name) {
			val = "changed"
		}
		out[i] = deploytest.ConfigMap(name, val)
	}
	return out
}

func cmKey(name string) manifest.Key {
	return manifest.Key{Kind: "ConfigMap", Namespace: "app", Name: name}
}

// TestDeployAppliesOnlyWhatChanged counts the applies and dry runs of upgrades of a
// release of 50 ConfigMaps over the fakes: a no-op applies nothing, one changed object
// (or one edited or deleted in the cluster) is the only one validated and applied, and
// the tracker is told the others are unchanged.
func TestDeployAppliesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	const n = 50
	tests := []struct {
		name string
		// before changes the cluster after the install; objs are the upgrade's objects.
		before      func(c *deploytest.Cluster)
		objs        []*unstructured.Unstructured
		wantApplied []manifest.Key
		wantChecked []manifest.Key
	}{
		{name: "no-op", objs: configMaps(n, "1")},
		{
			name: "one object changed", objs: configMaps(n, "1", "cm-007"),
			wantApplied: []manifest.Key{cmKey("cm-007")}, wantChecked: []manifest.Key{cmKey("cm-007")},
		},
		{
			name: "one object edited in the cluster",
			before: func(c *deploytest.Cluster) {
				live := c.Live(cmKey("cm-011"))
				live.Object["data"] = map[string]any{"v": "by hand"}
				c.Put(live)
			},
			objs:        configMaps(n, "1"),
			wantApplied: []manifest.Key{cmKey("cm-011")}, wantChecked: []manifest.Key{cmKey("cm-011")},
		},
		{
			name: "one object deleted in the cluster",
			before: func(c *deploytest.Cluster) {
				if _, err := c.Delete(context.Background(), []*unstructured.Unstructured{c.Live(cmKey("cm-042"))}, apply.DeleteOptions{Owner: manifest.Owner{Namespace: "app", Name: "web"}}); err != nil {
					t.Fatal(err)
				}
			},
			objs:        configMaps(n, "1"),
			wantApplied: []manifest.Key{cmKey("cm-042")}, wantChecked: []manifest.Key{cmKey("cm-042")},
		},
		{
			name: "everything changed", objs: configMaps(n, "2"),
			wantApplied: keysOf(configMaps(n, "2")), wantChecked: keysOf(configMaps(n, "2")),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := deploytest.New()
			d := deploy.NewDeploy(env.Config)
			if _, err := d.Run(ctx, deploy.DeployOptions{Release: "web", Namespace: "app", Objects: configMaps(n, "1")}); err != nil {
				t.Fatalf("install: %v", err)
			}
			if got := len(env.Cluster.Applied()); got != n {
				t.Fatalf("install applied %d objects, want %d", got, n)
			}
			if tt.before != nil {
				tt.before(env.Cluster)
			}
			appliedBefore, checkedBefore := len(env.Cluster.Applied()), len(env.Cluster.DryRun())
			res, err := d.Run(ctx, deploy.DeployOptions{Release: "web", Namespace: "app", Objects: tt.objs})
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			applied := env.Cluster.Applied()[appliedBefore:]
			checked := env.Cluster.DryRun()[checkedBefore:]
			if !sameKeys(applied, tt.wantApplied) {
				t.Errorf("upgrade applied %v, want %v", applied, tt.wantApplied)
			}
			if !sameKeys(checked, tt.wantChecked) {
				t.Errorf("upgrade validated %v, want %v", checked, tt.wantChecked)
			}
			if len(res.Applied) != len(tt.wantApplied) || res.Unchanged != n-len(tt.wantApplied) {
				t.Errorf("result: applied %d, unchanged %d; want %d and %d", len(res.Applied), res.Unchanged, len(tt.wantApplied), n-len(tt.wantApplied))
			}
			// The tracker judges what was not applied once instead of watching it.
			var wantUnchanged []manifest.Key
			for _, k := range keysOf(tt.objs) {
				if !slices.Contains(tt.wantApplied, k) {
					wantUnchanged = append(wantUnchanged, k)
				}
			}
			if runs := env.Tracker.Unchanged(); !sameKeys(runs[len(runs)-1], wantUnchanged) {
				t.Errorf("tracker told %v unchanged, want %v", runs[len(runs)-1], wantUnchanged)
			}
			// Whatever was skipped, the cluster now holds exactly the desired objects,
			// and a further no-op deploy applies nothing.
			for _, o := range tt.objs {
				o.SetNamespace("app")
				live := env.Cluster.Live(manifest.KeyOf(o))
				if live == nil || fmt.Sprint(live.Object["data"]) != fmt.Sprint(o.Object["data"]) {
					t.Errorf("%s is %v after the upgrade, want data %v", manifest.KeyOf(o), live, o.Object["data"])
				}
			}
			before := len(env.Cluster.Applied())
			if _, err := d.Run(ctx, deploy.DeployOptions{Release: "web", Namespace: "app", Objects: tt.objs}); err != nil {
				t.Fatalf("second upgrade: %v", err)
			}
			if again := env.Cluster.Applied()[before:]; len(again) != 0 {
				t.Errorf("a no-op deploy after the upgrade applied %v, want nothing", again)
			}
		})
	}
}

func keysOf(objs []*unstructured.Unstructured) []manifest.Key {
	out := make([]manifest.Key, len(objs))
	for i, o := range objs {
		k := manifest.KeyOf(o)
		k.Namespace = "app"
		out[i] = k
	}
	return out
}

func sameKeys(a, b []manifest.Key) bool {
	x := slices.SortedFunc(slices.Values(a), manifest.Key.Compare)
	y := slices.SortedFunc(slices.Values(b), manifest.Key.Compare)
	return slices.Equal(x, y)
}

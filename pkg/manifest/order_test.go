package manifest

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// wantApplyOrder is testdata/order.yaml in apply order.
var wantApplyOrder = []string{
	"apiextensions.k8s.io/CustomResourceDefinition widgets.example.com",
	"Namespace audit",
	"Namespace shop",
	"ConfigMap shop/web",
	"Secret shop/web",
	"ServiceAccount shop/web",
	"policy/PodDisruptionBudget shop/web",
	"rbac.authorization.k8s.io/RoleBinding shop/web",
	"Service shop/web",
	"apps/Deployment shop/web",
	"apps/StatefulSet shop/db",
	"batch/CronJob shop/nightly",
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration web",
	"networking.k8s.io/Ingress shop/web",
	"example.com/Widget shop/w1",
	"gateway.networking.k8s.io/HTTPRoute shop/web",
}

func TestSortForApply(t *testing.T) {
	t.Parallel()
	objs := load(t, "testdata/order.yaml")
	loaded := keyStrings(objs)
	for seed := range uint64(5) {
		shuffled := slices.Clone(objs)
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := keyStrings(SortForApply(shuffled)); !slices.Equal(got, wantApplyOrder) {
			t.Errorf("seed %d:\n got %q\nwant %q", seed, got, wantApplyOrder)
		}
	}
	if got := keyStrings(objs); !slices.Equal(got, loaded) {
		t.Errorf("SortForApply modified its input: %q", got)
	}
}

func TestSortForDelete(t *testing.T) {
	t.Parallel()
	want := slices.Clone(wantApplyOrder)
	slices.Reverse(want)
	if got := keyStrings(SortForDelete(load(t, "testdata/order.yaml"))); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	groups := Groups(load(t, "testdata/order.yaml"))
	wantRanks := []Rank{RankCRD, RankNamespace, RankConfig, RankService, RankWorkload, RankOther, RankCustom}
	if len(groups) != len(wantRanks) {
		t.Fatalf("got %d groups, want %d", len(groups), len(wantRanks))
	}
	var flat []string
	for i, g := range groups {
		for _, o := range g {
			if r := RankOf(o); r != wantRanks[i] {
				t.Errorf("group %d holds %s of rank %d, want rank %d", i, KeyOf(o), r, wantRanks[i])
			}
		}
		flat = append(flat, keyStrings(g)...)
	}
	if !slices.Equal(flat, wantApplyOrder) {
		t.Errorf("groups flattened:\n got %q\nwant %q", flat, wantApplyOrder)
	}
	if got := Groups(nil); len(got) != 0 {
		t.Errorf("Groups(nil) = %v, want none", got)
	}
}

func TestRankOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  Key
		want Rank
	}{
		{Key{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}, RankCRD},
		{Key{Kind: "Namespace"}, RankNamespace},
		{Key{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, RankConfig},
		{Key{Kind: "PersistentVolumeClaim"}, RankConfig},
		{Key{Group: "storage.k8s.io", Kind: "StorageClass"}, RankConfig},
		{Key{Group: "scheduling.k8s.io", Kind: "PriorityClass"}, RankConfig},
		{Key{Kind: "Service"}, RankService},
		{Key{Kind: "Pod"}, RankWorkload},
		{Key{Group: "apps", Kind: "DaemonSet"}, RankWorkload},
		{Key{Group: "batch", Kind: "Job"}, RankWorkload},
		{Key{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}, RankWorkload},
		{Key{Group: "networking.k8s.io", Kind: "Ingress"}, RankOther},
		{Key{Group: "storage.k8s.io", Kind: "CSIDriver"}, RankOther},
		{Key{Kind: "Event"}, RankOther},
		{Key{Group: "cert-manager.io", Kind: "Certificate"}, RankCustom},
	}
	for _, tt := range tests {
		t.Run(tt.key.String(), func(t *testing.T) {
			t.Parallel()
			if got := rankOf(tt.key); got != tt.want {
				t.Errorf("rankOf(%s) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

package manifest

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Rank is an object's place in the apply order; lower ranks are applied first.
type Rank int

// The apply ranks, in order. Objects of one rank do not depend on each other for being
// accepted by the API server, so they can be applied in parallel.
const (
	// RankCRD holds CustomResourceDefinitions, so custom resources of the deploy can follow.
	RankCRD Rank = iota
	// RankNamespace holds Namespaces, so namespaced objects have somewhere to go.
	RankNamespace
	// RankConfig holds what workloads refer to: RBAC, ServiceAccounts, Secrets,
	// ConfigMaps, storage, quotas, limits, network and disruption policies, priority and
	// runtime classes.
	RankConfig
	// RankService holds Services (and hand-made Endpoints), so endpoints exist before pods.
	RankService
	// RankWorkload holds Pods and their controllers: Deployments, StatefulSets,
	// DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, and autoscalers.
	RankWorkload
	// RankOther holds the remaining built-in kinds: Ingresses, webhooks (after the
	// workloads serving them), APIServices and anything not named above.
	RankOther
	// RankCustom holds custom resources: objects of groups that are not built into
	// Kubernetes.
	RankCustom
)

// RankOf returns the apply rank of obj from its group and kind.
func RankOf(obj *unstructured.Unstructured) Rank {
	return rankOf(KeyOf(obj))
}

func rankOf(k Key) Rank {
	if IsCRD(k) {
		return RankCRD
	}
	switch k.Group {
	case "":
		switch k.Kind {
		case "Namespace":
			return RankNamespace
		case "ServiceAccount", "Secret", "ConfigMap", "PersistentVolume", "PersistentVolumeClaim",
			"ResourceQuota", "LimitRange":
			return RankConfig
		case "Service", "Endpoints":
			return RankService
		case "Pod", "ReplicationController":
			return RankWorkload
		}
	case "rbac.authorization.k8s.io":
		return RankConfig
	case "storage.k8s.io":
		if k.Kind == "StorageClass" {
			return RankConfig
		}
	case "networking.k8s.io":
		if k.Kind == "NetworkPolicy" || k.Kind == "IngressClass" {
			return RankConfig
		}
	case "policy":
		if k.Kind == "PodDisruptionBudget" {
			return RankConfig
		}
	case "scheduling.k8s.io", "node.k8s.io":
		return RankConfig // PriorityClass, RuntimeClass
	case "apps", "batch", "autoscaling":
		return RankWorkload
	}
	if !builtinGroup(k.Group) {
		return RankCustom
	}
	return RankOther
}

// IsCRD reports whether k is a CustomResourceDefinition.
func IsCRD(k Key) bool {
	return k.Group == "apiextensions.k8s.io" && k.Kind == "CustomResourceDefinition"
}

// builtinGroup reports whether group is served by Kubernetes itself rather than by a CRD
// or an aggregated API.
func builtinGroup(group string) bool {
	switch group {
	case "", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
		"apps", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
		"certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
		"flowcontrol.apiserver.k8s.io", "internal.apiserver.k8s.io", "networking.k8s.io",
		"node.k8s.io", "policy", "rbac.authorization.k8s.io", "resource.k8s.io",
		"scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io":
		return true
	}
	return false
}

// SortForApply returns a new slice with objs in apply order: by rank (CRDs, Namespaces,
// configuration and RBAC, Services, workloads, other built-in kinds, custom resources),
// then by key within a rank. The input slice is not modified. The order depends only on
// the objects, never on the input order.
func SortForApply(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, compareForApply)
	return out
}

// SortForDelete returns a new slice with objs in the exact reverse of SortForApply, so
// custom resources and workloads go before the Services, configuration, Namespaces and
// CRDs they depend on.
func SortForDelete(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := SortForApply(objs)
	slices.Reverse(out)
	return out
}

// Groups returns objs in apply order split by rank: one slice per non-empty rank, lowest
// rank first, each sorted by key. An applier may apply the objects of one group in
// parallel and must finish a group before starting the next. Reverse the outer slice for
// deletion.
func Groups(objs []*unstructured.Unstructured) [][]*unstructured.Unstructured {
	sorted := SortForApply(objs)
	var groups [][]*unstructured.Unstructured
	for i, o := range sorted {
		if i == 0 || RankOf(o) != RankOf(sorted[i-1]) {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], o)
	}
	return groups
}

func compareForApply(a, b *unstructured.Unstructured) int {
	ka, kb := KeyOf(a), KeyOf(b)
	if ra, rb := rankOf(ka), rankOf(kb); ra != rb {
		return int(ra - rb)
	}
	return ka.Compare(kb)
}

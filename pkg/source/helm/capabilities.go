package helm

import (
	"fmt"
	"path"
	"runtime/debug"
	"sort"

	"helm.sh/helm/v4/pkg/chart/common"
	"k8s.io/client-go/discovery"
)

// helmModule is the module whose version .Capabilities.HelmVersion reports.
const helmModule = "helm.sh/helm/v4"

// capabilities returns what templates see as .Capabilities. Without a discovery client
// they are Helm's defaults, as `helm template` uses; with one, the cluster's version and
// every group/version and group/version/Kind it serves, as `helm install` computes them.
func capabilities(dc discovery.DiscoveryInterface) (*common.Capabilities, error) {
	caps := common.DefaultCapabilities.Copy()
	caps.HelmVersion.Version = helmVersion(caps.HelmVersion.Version)
	if dc == nil {
		return caps, nil
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("read the cluster's Kubernetes version for .Capabilities: %w; check --kubeconfig, --context and that the API server is up", err)
	}
	// As Helm's install does: the server's gitVersion verbatim (with any vendor suffix).
	caps.KubeVersion = common.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor}
	caps.APIVersions, err = versionSet(dc)
	if err != nil {
		return nil, err
	}
	return caps, nil
}

// versionSet lists the group/versions and group/version/Kinds the cluster serves, like
// Helm's action.GetVersionSet: a group whose discovery fails (an aggregated API that is
// down) is left out rather than failing the render.
func versionSet(dc discovery.DiscoveryInterface) (common.VersionSet, error) {
	groups, resources, err := dc.ServerGroupsAndResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("read the cluster's API versions for .Capabilities: %w", err)
	}
	if len(groups) == 0 && len(resources) == 0 {
		return common.DefaultVersionSet, nil
	}
	seen := map[string]bool{}
	for _, g := range groups {
		for _, gv := range g.Versions {
			seen[gv.GroupVersion] = true
		}
	}
	for _, r := range resources {
		for _, res := range r.APIResources {
			seen[path.Join(r.GroupVersion, res.Kind)] = true
		}
	}
	out := make(common.VersionSet, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil
}

// helmVersion returns the version of the Helm module linked into this binary ("v4.3.1"),
// which a Helm CLI built from the same module reports, or fallback when the binary has no
// module information.
func helmVersion(fallback string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fallback
	}
	for _, d := range info.Deps {
		if d.Path == helmModule && d.Version != "" && d.Version != "(devel)" {
			return d.Version
		}
	}
	return fallback
}

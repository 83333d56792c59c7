package helm

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	helmrelease "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Hook events Helm defines, as they appear in the helm.sh/hook annotation.
const (
	PreInstall   = "pre-install"
	PostInstall  = "post-install"
	PreUpgrade   = "pre-upgrade"
	PostUpgrade  = "post-upgrade"
	PreDelete    = "pre-delete"
	PostDelete   = "post-delete"
	PreRollback  = "pre-rollback"
	PostRollback = "post-rollback"
	Test         = "test"
)

// Hook delete policies, as they appear in the helm.sh/hook-delete-policy annotation.
const (
	BeforeHookCreation = "before-hook-creation"
	HookSucceeded      = "hook-succeeded"
	HookFailed         = "hook-failed"
)

// Hook is one object a chart marks as a hook (annotation helm.sh/hook): it is not part of
// the release's objects but is created when one of its Events happens. Its Events are
// lower-cased, in the annotation's order ("test-success" is reported as "test", as Helm
// does), and an empty DeletePolicies means Helm's default, before-hook-creation; Weight
// is helm.sh/hook-weight (0 when absent or not a number).
type Hook struct {
	release.Hook
	// Path is the template it was rendered from ("web/templates/migrate.yaml").
	Path string
}

// newHook converts one of Helm's hooks, decoding its manifest like any other object.
func newHook(h *helmrelease.Hook) (Hook, error) {
	objs, err := manifest.Decode(h.Path, strings.NewReader(h.Manifest))
	if err != nil {
		return Hook{}, err
	}
	if len(objs) != 1 {
		return Hook{}, invalidf("%s: hook %s must be exactly one object, found %d", h.Path, h.Name, len(objs))
	}
	out := Hook{Hook: release.Hook{Object: objs[0], Weight: h.Weight}, Path: h.Path}
	for _, e := range h.Events {
		out.Events = append(out.Events, string(e))
	}
	for _, p := range h.DeletePolicies {
		out.DeletePolicies = append(out.DeletePolicies, string(p))
	}
	return out, nil
}

// sortHooks orders hooks as Helm runs them: by weight, then by name, keeping Helm's
// kind order (releaseutil.InstallOrder) and then template order among equals.
func sortHooks(hooks []Hook) {
	sort.SliceStable(hooks, func(i, j int) bool {
		if hooks[i].Weight != hooks[j].Weight {
			return hooks[i].Weight < hooks[j].Weight
		}
		return hooks[i].Object.GetName() < hooks[j].Object.GetName()
	})
}

// knownEvent reports whether Helm's sorter accepts event; it drops, with only a log line,
// any document whose helm.sh/hook names another.
func knownEvent(event string) bool {
	switch event {
	case PreInstall, PostInstall, PreUpgrade, PostUpgrade, PreDelete, PostDelete, PreRollback, PostRollback, Test, "test-success":
		return true
	}
	return false
}

// unknownHooks finds the documents Helm leaves out because their helm.sh/hook annotation
// names an event it does not know (a typo such as "pre-instal"), walking files as
// releaseutil.SortManifests does. Helm renders and installs without them and says
// nothing; shipsafe reports them.
func unknownHooks(files map[string]string) ([]Hook, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Hook
	for _, name := range names {
		content := files[name]
		if strings.HasPrefix(path.Base(name), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		docs := releaseutil.SplitManifests(content)
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			var head releaseutil.SimpleHead
			if err := yaml.Unmarshal([]byte(docs[k]), &head); err != nil {
				return nil, invalidf("YAML parse error on %s: %v", name, err)
			}
			if head.Metadata == nil {
				continue
			}
			value, ok := head.Metadata.Annotations[helmrelease.HookAnnotation]
			if !ok {
				continue
			}
			var events []string
			unknown := false
			for _, e := range strings.Split(value, ",") {
				e = strings.ToLower(strings.TrimSpace(e))
				events = append(events, e)
				unknown = unknown || !knownEvent(e)
			}
			if !unknown {
				continue
			}
			h := Hook{Hook: release.Hook{Events: events, DeletePolicies: splitList(head.Metadata.Annotations[helmrelease.HookDeleteAnnotation])}, Path: name}
			h.Weight, _ = strconv.Atoi(head.Metadata.Annotations[helmrelease.HookWeightAnnotation])
			objs, err := manifest.Decode(name, strings.NewReader(docs[k]))
			if err != nil {
				return nil, err
			}
			if len(objs) == 1 {
				h.Object = objs[0]
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// splitList splits an annotation's comma-separated list, trimmed and lower-cased as Helm
// reads it.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.ToLower(strings.TrimSpace(p)))
	}
	return out
}

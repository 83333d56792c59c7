package lint

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Check applies every rule to objs and returns the findings, sorted by object, rule,
// container and message. It never modifies objs. Objects of kinds no rule inspects are
// ignored; a workload, Service or PodDisruptionBudget whose fields do not fit the
// Kubernetes types yields one SS000 error instead of other findings for it.
func Check(objs []*unstructured.Unstructured) []Finding {
	inv := newInventory(objs)
	findings := inv.unreadable
	for _, w := range inv.workloads {
		var fs []Finding
		fs = append(fs, checkProbes(w)...)
		fs = append(fs, checkShutdown(w)...)
		fs = append(fs, checkRollout(w)...)
		fs = append(fs, checkContainers(w)...)
		for _, f := range fs {
			if !w.skip[f.Rule] {
				findings = append(findings, f)
			}
		}
	}
	sortFindings(findings)
	return findings
}

// finding builds a finding of rule id about w.
func (w *workload) finding(id, container, message, fix string) Finding {
	return Finding{Rule: id, Severity: severityOf(id), Object: w.key, Container: container, Message: message, Fix: fix}
}

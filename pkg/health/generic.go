package health

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// condition is the part of a status condition the generic rules read.
type condition struct {
	Type, Status, Reason, Message string
}

// Generic judges any kind through the conventions of status conditions, so an unknown
// custom resource never hangs a deploy:
//   - no status at all: Ready once applied;
//   - status.observedGeneration below metadata.generation: Progressing;
//   - a Stalled or Failed condition True: Failed with its reason;
//   - a Reconciling condition True: Progressing;
//   - a Ready (else Available) condition: Ready when True, Progressing otherwise;
//   - status.phase Failed or Error: Failed;
//   - otherwise (no condition that speaks of readiness): Ready.
//
// It is a small reader of the conventions kstatus (sigs.k8s.io/cli-utils) also follows.
func Generic(obj *unstructured.Unstructured) Status {
	status, ok := obj.Object["status"].(map[string]any)
	if !ok || len(status) == 0 {
		return ready("applied; no status to wait for")
	}
	if observed, found := number(status["observedGeneration"]); found {
		if s, waiting := notObserved(obj.GetGeneration(), observed); waiting {
			return s
		}
	}
	conds := conditions(status)
	for _, t := range []string{"Stalled", "Failed"} {
		if c, ok := conds[t]; ok && c.Status == "True" {
			return failed(orText(c.Reason, t), "%s", orText(c.Message, t+" condition is True"))
		}
	}
	if c, ok := conds["Reconciling"]; ok && c.Status == "True" {
		return progressing(orText(c.Reason, "Reconciling"), "%s", orText(c.Message, "reconciling"))
	}
	for _, t := range []string{"Ready", "Available"} {
		c, ok := conds[t]
		if !ok {
			continue
		}
		if c.Status == "True" {
			return ready("%s", orText(c.Message, t))
		}
		return progressing(orText(c.Reason, "Not"+t), "%s", orText(c.Message, t+" condition is "+orText(c.Status, "unset")))
	}
	if phase, _, _ := unstructured.NestedString(status, "phase"); phase == "Failed" || phase == "Error" {
		return failed(phase, "status.phase is %s", phase)
	}
	return ready("applied; no readiness condition to wait for")
}

// conditions reads status.conditions by type; entries that are not objects are skipped.
func conditions(status map[string]any) map[string]condition {
	out := map[string]condition{}
	list, _ := status["conditions"].([]any)
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		c := condition{Type: str(m["type"]), Status: str(m["status"]), Reason: str(m["reason"]), Message: str(m["message"])}
		if c.Type != "" {
			out[c.Type] = c
		}
	}
	return out
}

// number reads a JSON number whichever Go type the decoder chose for it.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

package health

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// crd is Ready when Established; Failed when its names are not accepted (they clash with
// another CRD's).
func crd(obj *unstructured.Unstructured) Status {
	status, _ := obj.Object["status"].(map[string]any)
	conds := conditions(status)
	if c, ok := conds["NamesAccepted"]; ok && c.Status == "False" {
		return failed(orText(c.Reason, "NamesNotAccepted"), "%s", orText(c.Message, "names not accepted"))
	}
	if c, ok := conds["Established"]; ok && c.Status == "True" {
		return ready("established")
	}
	return progressing("NotEstablished", "waiting for the API server to serve the new resource")
}

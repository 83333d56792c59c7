package health

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// service is Ready when it has nothing to wait for (ExternalName, or no selector: its
// endpoints are managed by someone else) or when its EndpointSlices hold at least one
// ready endpoint (any endpoint with publishNotReadyAddresses). A LoadBalancer also needs
// an ingress address. When no live pod matches the selector there is nothing to wait for
// either (the workload that will create them is tracked on its own), so the Service does
// not hang a deploy that scales its backend to zero.
func service(obj *unstructured.Unstructured, rel Related) Status {
	var svc corev1.Service
	if s, ok := decode(obj, &svc); !ok {
		return s
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return ready("ExternalName service: nothing to wait for")
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) == 0 {
		return progressing("LoadBalancerPending", "waiting for the load balancer's ingress address")
	}
	if len(svc.Spec.Selector) == 0 {
		return ready("no selector: endpoints are managed outside Kubernetes")
	}
	endpoints := readyEndpoints(&svc, rel.EndpointSlices)
	if endpoints > 0 {
		s := ready("%d ready endpoints", endpoints)
		s.Ready = endpoints
		return s
	}
	matching := matchingPods(&svc, rel.Pods)
	if matching == 0 {
		return ready("no pods match the selector yet: nothing to wait for")
	}
	s := progressing("NoReadyEndpoints", "0 ready endpoints for %d matching pods", matching)
	s.Desired = matching
	return s
}

func readyEndpoints(svc *corev1.Service, slices []*discoveryv1.EndpointSlice) int32 {
	var n int32
	for _, sl := range slices {
		if sl.Namespace != svc.Namespace || sl.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		for _, ep := range sl.Endpoints {
			if svc.Spec.PublishNotReadyAddresses || ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				n++
			}
		}
	}
	return n
}

func matchingPods(svc *corev1.Service, pods []*corev1.Pod) int32 {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var n int32
	for _, p := range pods {
		if p.Namespace == svc.Namespace && p.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Labels)) &&
			p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			n++
		}
	}
	return n
}

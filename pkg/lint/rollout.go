package lint

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// defaultRollingPercent is the API default of a Deployment's maxUnavailable and maxSurge.
const defaultRollingPercent = "25%"

// checkRollout applies SS005 (a rollout may take every replica down), SS006 (one replica
// without a PodDisruptionBudget) and SS009 (Recreate strategy).
func checkRollout(w *workload) []Finding {
	var fs []Finding
	if d := w.deployment; d != nil {
		if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
			fs = append(fs, w.finding(ruleRecreateStrategy, "",
				"strategy Recreate stops every old pod before the new ones start: each rollout is an outage",
				"use strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}} unless the pods cannot run side by side (e.g. a ReadWriteOnce volume)"))
		} else {
			fs = append(fs, checkRollingUpdate(w, d)...)
		}
	}
	if w.replicas != nil && *w.replicas == 1 && !w.hasPDB {
		fs = append(fs, w.finding(ruleSingleReplica, "",
			"1 replica and no PodDisruptionBudget: the service is down whenever its only pod is evicted, its node is drained, or (for a StatefulSet) it is updated",
			"run at least 2 replicas and add a PodDisruptionBudget with maxUnavailable: 1 selecting the pods; if one replica is intended, add the annotation "+SkipAnnotation+": "+ruleSingleReplica))
	}
	return fs
}

// checkRollingUpdate resolves maxSurge and maxUnavailable as the Deployment controller does
// (percentages: surge rounds up, unavailable rounds down; if both come to 0, unavailable
// becomes 1) and reports a rollout that may stop every replica.
func checkRollingUpdate(w *workload, d *appsv1.Deployment) []Finding {
	defUnavailable, defSurge := intstr.FromString(defaultRollingPercent), intstr.FromString(defaultRollingPercent)
	maxUnavailable, maxSurge := &defUnavailable, &defSurge
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		if ru.MaxUnavailable != nil {
			maxUnavailable = ru.MaxUnavailable
		}
		if ru.MaxSurge != nil {
			maxSurge = ru.MaxSurge
		}
	}
	const fix = "set strategy.rollingUpdate to maxUnavailable: 0 and maxSurge: 1 (or 25%), so new pods become ready before old ones stop"
	if isZero(maxUnavailable) && isZero(maxSurge) {
		return []Finding{w.finding(ruleUnavailable, "",
			"maxSurge and maxUnavailable are both 0: the API server rejects this Deployment because no rollout could make progress", fix)}
	}
	replicas := int(*w.replicas)
	if replicas == 0 {
		return nil
	}
	surge, err := intstr.GetScaledValueFromIntOrPercent(maxSurge, replicas, true)
	if err != nil {
		return []Finding{w.finding(ruleUnavailable, "", fmt.Sprintf("maxSurge %s is invalid: %v", maxSurge.String(), err),
			`write an integer or a percentage such as "25%"`)}
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(maxUnavailable, replicas, false)
	if err != nil {
		return []Finding{w.finding(ruleUnavailable, "", fmt.Sprintf("maxUnavailable %s is invalid: %v", maxUnavailable.String(), err),
			`write an integer or a percentage such as "25%"`)}
	}
	if surge == 0 && unavailable == 0 {
		unavailable = 1 // the controller's fencepost rule
	}
	if unavailable >= replicas {
		return []Finding{w.finding(ruleUnavailable, "",
			fmt.Sprintf("with %d replica(s), maxUnavailable %s and maxSurge %s allow %d pod(s) down at once: a rollout may stop every pod before a new one is ready",
				replicas, maxUnavailable.String(), maxSurge.String(), unavailable), fix)}
	}
	return nil
}

// isZero reports whether v is literally 0 or "0%", the values API validation compares.
func isZero(v *intstr.IntOrString) bool {
	if v.Type == intstr.Int {
		return v.IntVal == 0
	}
	return v.StrVal == "0%" || v.StrVal == "0"
}

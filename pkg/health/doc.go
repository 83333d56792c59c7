// Package health decides, from the current state of a Kubernetes object and the objects
// around it, whether the object is Ready, still Progressing, or Failed, and why.
//
// Every function here is pure and level-driven: it reads the state it is given and a
// caller-supplied "now", never which watch event arrived or what it saw before, so the same
// inputs always give the same answer. Fetching the related objects (pods, ReplicaSets,
// EndpointSlices, ControllerRevisions) is the caller's job; package track does it with
// watches.
//
// Check dispatches on the object's kind: Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Pod, Job, Service, PersistentVolumeClaim and CustomResourceDefinition have their own
// rules; any other kind is read through its status conditions (see Generic), and a kind
// with no status is Ready once applied.
//
// Workloads fail fast through the pods of their new revision only (see Pod): a crash loop,
// an image that cannot be pulled, a container configuration error, an OOM kill, a readiness
// probe that keeps failing past its own budget plus a grace, or a pod that stays
// unschedulable past a grace. A Status whose answer depends on time passing carries
// RecheckAt, the moment the caller should evaluate again even if nothing changes.
package health

// Package track follows the objects of a deploy on the cluster until they are all ready,
// one of them fails, or the context ends, and reports what happens as one typed event
// stream.
//
// A Tracker watches (with informers: list, then watch, resumed by client-go's reflector
// after a closed watch or an API server restart) every tracked object by name, and, in
// their namespaces, the pods, ReplicaSets, EndpointSlices, ControllerRevisions and Events
// that decide or explain their health. On every change it re-runs health.Check for every
// object; a status whose verdict depends on time passing (a grace running out) asks for a
// re-evaluation at that moment with one timer, so nothing is polled. Objects the caller
// did not change (RunOptions.Unchanged) are first judged once from one LIST per resource
// and namespace; only those not Ready then are watched. Warning events of the
// tracked objects and of their pods are reported once each as they arrive. When an object
// fails, the Tracker gathers the evidence (its Warning events and the last lines of the
// failing container's current and previous logs), reports it and returns at once.
//
// The package never prints: everything goes to the emit callback and the Result.
package track

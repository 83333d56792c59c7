// Package cluster runs a real single-node Kubernetes 1.34 cluster on this machine for
// shipsafe's tests: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// containerd, kubelet and kube-proxy, built from the k8s.io/kubernetes module (see
// k8sbuild/) and Debian packages.
//
// Up is idempotent: it reuses a healthy cluster, and clears the remains of a half-started
// or killed one before starting afresh. Down removes every process, mount, iptables chain,
// route, address and piece of CNI state it made; Leftovers reports any that remain.
//
// All traffic stays on the machine: components bind to 127.0.0.1 or the node IP, a /32
// address on lo; the pod range lives on the local bridge cni0 and the Service range is
// routed into it.
package cluster

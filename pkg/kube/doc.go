// Package kube builds the Kubernetes clients shipsafe uses from kubeconfig flags:
// a rest.Config, a dynamic client, a typed clientset and a RESTMapper, gathered in one
// Clients value that callers pass down. It keeps no package-level clients.
package kube

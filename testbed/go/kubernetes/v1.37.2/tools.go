//go:build tools

// Package tools records the Kubernetes commands the local test cluster builds, so that
// `go mod tidy` writes go.sum entries for all of their dependencies. The tag keeps it out of builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

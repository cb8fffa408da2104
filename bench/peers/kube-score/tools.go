//go:build tools

// Package tools records the main package built by bench/peers/build.sh, so
// that `go mod tidy` keeps every module it needs in go.mod and go.sum.
package tools

import _ "github.com/zegl/kube-score/cmd/kube-score"

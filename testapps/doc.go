// Package testapps holds small Go programs that the end-to-end tests build into local
// container images (`make image APP=<name> TAG=<tag>`). Each server listens on :8080, answers
// `GET /` with the value of its VERSION environment variable and serves `GET /readyz`.
package testapps

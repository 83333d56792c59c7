# shipsafe: build, local cluster, tests and demo. Every target installs what it needs.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
LOCALCLUSTER := cd test/cluster && $(GO) run ./cmd/localcluster
E2E_TIMEOUT ?= 40m

HELM := $(HOME)/.cache/shipsafe/helm-v4.3.1/helm

.PHONY: dist dist-test dist-image zero-downtime all build deps helm prometheus vet unit cluster-up cluster-down cluster-leftovers image integration e2e test demo bench clean

all: build

## build: the shipsafe binary into bin/
build:
	$(GO) build -o bin/shipsafe ./cmd/shipsafe

## dist: release binaries for linux and darwin (amd64, arm64) and windows/amd64 into dist/:
## static, stripped, reproducible (two runs give identical files), stamped with version,
## commit and the commit's date; archives, SHA256SUMS and the krew manifest. Override
## VERSION, PLATFORMS or DIST_URL (where the archives are published, for krew).
dist:
	GO=$(GO) scripts/dist.sh

## dist-test: build the release twice, all five targets (so the code behind build
## constraints, such as terminal resize signals, compiles for each), the second time as
## another builder (umask, time zone, locale, `go env -w GOFLAGS`), and compare byte for
## byte; check binaries, archives, SHA256SUMS and the krew manifest. Slow, so not part
## of `make test`: ten links with a warm build cache (about 3 min), and with a cold one
## a full cross-compile per target (14-20 min each on a loaded 2-core machine).
## SHIPSAFE_DIST_PLATFORMS="linux/amd64" narrows it for a quick check.
dist-test:
	$(GO) test -count=1 -v -timeout 120m ./test/dist/

## dist-image: shipsafe's multi-arch (linux/amd64, linux/arm64) non-root image from the
## dist binaries, as an OCI archive dist/shipsafe-image.tar, built without a Docker
## daemon; IMAGE names it (load it with `ctr images import`, `skopeo copy oci-archive:...`
## or `crane push`)
IMAGE ?= shipsafe:$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
dist-image:
	@test -x dist/shipsafe-linux-amd64 -a -x dist/shipsafe-linux-arm64 || { echo "run make dist first"; exit 2; }
	cd test/cluster && SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) COMMIT=$$(git rev-parse HEAD) \
		VERSION=$$(git describe --tags --always --dirty 2>/dev/null || echo dev) \
		$(GO) run ./cmd/localcluster dist-image $(IMAGE) $(CURDIR)/dist $(CURDIR)/dist/shipsafe-image.tar

## deps: Go modules of every module (idempotent; the module cache keeps them)
deps:
	@command -v $(GO) >/dev/null || { echo "go not found: install Go 1.24+ (this project expects /usr/local/go)"; exit 2; }
	$(GO) mod download
	cd graceful && $(GO) mod download
	cd testapps && $(GO) mod download
	cd test/cluster && $(GO) mod download

## helm: the Helm v4.3.1 CLI, built from its Go module (bench/helmbuild) into the cache, for the
## tests that compare with Helm and take over Helm releases, and for benchmarks
helm: $(HELM)
$(HELM):
	mkdir -p $(dir $(HELM))
	cd bench/helmbuild && CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v4.3.1" -o $(HELM) helm.sh/helm/v4/cmd/helm

## prometheus: Debian's prometheus package, for the tests that gate deploys on PromQL
## queries (each runs its own on 127.0.0.1). Installed only when missing; policy-rc.d
## keeps the package from starting its service (it is removed again if made here).
prometheus:
	@command -v prometheus >/dev/null || { \
		made=; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus; status=$$?; \
		[ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; exit $$status; }

## vet: go vet in every module, and gofmt
vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd graceful && $(GO) vet ./...
	cd testapps && $(GO) vet ./...
	cd test/cluster && $(GO) vet ./...

## unit: pure unit tests (no cluster), with the race detector
unit:
	$(GO) test -race -short -count=1 $$($(GO) list ./... | grep -v /test/e2e)
	cd graceful && $(GO) test -race -count=1 ./...
	cd testapps && $(GO) test -race -count=1 ./...

## cluster-up: start (or reuse) the local Kubernetes cluster; writes .cluster/kubeconfig
cluster-up:
	$(LOCALCLUSTER) up

## cluster-down: stop it and remove everything it made
cluster-down:
	$(LOCALCLUSTER) down

## cluster-leftovers: fail if a cluster left anything on the machine
cluster-leftovers:
	$(LOCALCLUSTER) leftovers

## image: build testapps/$(APP) into local.test/$(APP):$(TAG) in the cluster's containerd
image:
	@test -n "$(APP)" -a -n "$(TAG)" || { echo "usage: make image APP=<name> TAG=<tag>"; exit 2; }
	$(LOCALCLUSTER) image $(APP) $(TAG)

## integration: package tests that use the real cluster (store, apply, track)
integration:
	$(GO) test -race -count=1 ./pkg/... ./internal/...

## e2e: end-to-end tests driving the built binary against the cluster
e2e: build helm prometheus
	$(GO) test -count=1 -timeout $(E2E_TIMEOUT) ./test/e2e/...

## zero-downtime: only the proof under load (naive drops requests, graceful must drop
## none), verbose, with every count; `make test` runs it too
zero-downtime: build
	$(GO) test -count=1 -v -timeout 15m -run TestZeroDowntime ./test/e2e/

## test: the whole suite. Brings the cluster up (twice: the second must reuse it), runs
## everything, then takes it down and checks nothing is left. With SHIPSAFE_TEST_KUBECONFIG
## set, it uses that cluster and starts none.
test: deps vet unit
	@if [ -n "$$SHIPSAFE_TEST_KUBECONFIG" ]; then \
		$(MAKE) --no-print-directory integration e2e; \
	else \
		$(MAKE) --no-print-directory cluster-up && $(MAKE) --no-print-directory cluster-up || exit 1; \
		status=0; $(MAKE) --no-print-directory integration e2e || status=$$?; \
		$(MAKE) --no-print-directory cluster-down || status=1; \
		$(MAKE) --no-print-directory cluster-leftovers || status=1; \
		exit $$status; \
	fi

## demo: the cluster up, then a deploy that fails and is rolled back, and a good one
demo: build
	$(MAKE) --no-print-directory cluster-up
	bash demo/demo.sh

## bench: deploy benchmarks against Helm and kubectl; results in docs/benchmarks.md
bench: build
	$(MAKE) --no-print-directory cluster-up
	bash bench/run.sh

clean:
	rm -rf bin dist

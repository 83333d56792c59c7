// Command localcluster brings shipsafe's local test cluster up and down, builds test
// images into it, and checks that nothing is left behind.
//
//	localcluster up                  start (or reuse) the cluster; writes .cluster/kubeconfig
//	localcluster down                stop it and remove everything it made
//	localcluster leftovers           exit 1 and list anything a cluster left on the machine
//	localcluster image APP TAG       build testapps/APP into local.test/APP:TAG and import it
//	localcluster restart COMPONENT   restart one component (kube-apiserver, kubelet...)
//	localcluster build               build the Kubernetes binaries into the cache only
//	localcluster dist-image REF DIST OUT [import]
//	                                 write shipsafe's multi-arch release image (from the
//	                                 `make dist` binaries in DIST) as an OCI archive OUT;
//	                                 with import, also load it into the cluster as REF
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/shipsafe/shipsafe/test/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "localcluster: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: localcluster up|down|leftovers|build|image APP TAG")
	}
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	l, err := cluster.DefaultLayout(repo)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		return cluster.Up(ctx, l, os.Stdout)
	case "down":
		return cluster.Down(ctx, l, os.Stdout)
	case "restart":
		if len(args) != 2 {
			return errors.New("usage: localcluster restart COMPONENT")
		}
		return cluster.Restart(ctx, l, args[1], os.Stdout)
	case "build":
		return cluster.EnsureBinaries(ctx, l, os.Stdout)
	case "leftovers":
		left := cluster.Leftovers(ctx)
		for _, x := range left {
			fmt.Println(x)
		}
		if len(left) > 0 {
			return fmt.Errorf("%d things left on the machine", len(left))
		}
		fmt.Println("nothing left behind")
		return nil
	case "image":
		if len(args) != 3 {
			return errors.New("usage: localcluster image APP TAG")
		}
		app, tag := args[1], args[2]
		if _, err := os.Stat(filepath.Join(repo, "testapps", app)); err != nil {
			return fmt.Errorf("no test app %q in testapps/: %w", app, err)
		}
		ref := "local.test/" + app + ":" + tag
		tar, err := cluster.BuildImage(ctx, l, cluster.ImageSpec{
			Ref: ref, Module: filepath.Join(repo, "testapps"), Pkg: "./" + app,
		}, os.Stderr)
		if err != nil {
			return err
		}
		if err := cluster.ImportImage(ctx, tar, os.Stderr); err != nil {
			return err
		}
		fmt.Println(ref)
		return nil
	case "dist-image":
		return distImage(ctx, args[1:])
	default:
		return fmt.Errorf("unknown command %q; want up, down, leftovers, restart, build, image or dist-image", args[0])
	}
}

// repoRoot is the directory holding test/cluster: three levels above this module's root
// when run from the repository, found by walking up to the main go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test", "cluster", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the shipsafe repository (no test/cluster/go.mod above the working directory)")
		}
		dir = parent
	}
}

// distImage builds shipsafe's release image: linux/amd64 and linux/arm64 from the
// binaries of `make dist`, dated SOURCE_DATE_EPOCH and labelled with VERSION and COMMIT.
func distImage(ctx context.Context, args []string) error {
	if len(args) < 3 || len(args) > 4 || len(args) == 4 && args[3] != "import" {
		return errors.New("usage: localcluster dist-image REF DIST OUT [import]")
	}
	epoch, _ := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	spec := cluster.DistImageSpec{
		Ref: args[0], Dist: args[1], Arches: distArches(args[1]),
		Created: time.Unix(epoch, 0),
		Labels: map[string]string{
			"org.opencontainers.image.title":    "shipsafe",
			"org.opencontainers.image.version":  os.Getenv("VERSION"),
			"org.opencontainers.image.revision": os.Getenv("COMMIT"),
		},
	}
	out, err := filepath.Abs(args[2])
	if err != nil {
		return err
	}
	if err := cluster.BuildDistImage(spec, out); err != nil {
		return err
	}
	fmt.Println(out)
	if len(args) == 4 {
		return cluster.ImportDistImage(ctx, out, args[0], os.Stderr)
	}
	return nil
}

// distArches lists the Linux architectures DIST has binaries for (amd64, arm64).
func distArches(dist string) []string {
	var out []string
	for _, a := range []string{"amd64", "arm64"} {
		if _, err := os.Stat(filepath.Join(dist, "shipsafe-linux-"+a)); err == nil {
			out = append(out, a)
		}
	}
	return out
}

package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"
)

const smokeNamespace = "shipsafe-smoke"

// smokeTest proves the cluster can run a pod and route a Service to it: it runs the naive
// test app behind a Service and waits until the ClusterIP answers, then removes them.
func (l Layout) smokeTest(ctx context.Context, api *apiClient, log io.Writer) error {
	fmt.Fprintln(log, "smoke test: a pod behind a Service answering on its ClusterIP")
	tar, err := BuildImage(ctx, l, ImageSpec{
		Ref: "local.test/naive:smoke", Module: filepath.Join(l.Repo, "testapps"), Pkg: "./naive",
	}, log)
	if err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	if err := ImportImage(ctx, tar, io.Discard); err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": smokeNamespace}}
	if _, err := api.do(ctx, http.MethodPost, "/api/v1/namespaces", ns, nil); err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	defer func() {
		_, _ = api.do(context.WithoutCancel(ctx), http.MethodDelete, "/api/v1/namespaces/"+smokeNamespace, nil, nil)
	}()
	if err := waitFor(ctx, "default service account", 60*time.Second, func(ctx context.Context) bool {
		_, err := api.do(ctx, http.MethodGet, "/api/v1/namespaces/"+smokeNamespace+"/serviceaccounts/default", nil, nil)
		return err == nil
	}); err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	labels := map[string]any{"app": "smoke"}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "smoke", "labels": labels},
		"spec": map[string]any{
			"terminationGracePeriodSeconds": 0,
			"containers": []any{map[string]any{
				"name": "app", "image": "local.test/naive:smoke", "imagePullPolicy": "Never",
				"env":            []any{map[string]any{"name": "VERSION", "value": "smoke"}},
				"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/readyz", "port": 8080}, "periodSeconds": 1},
			}},
		},
	}
	base := "/api/v1/namespaces/" + smokeNamespace
	if _, err := api.do(ctx, http.MethodPost, base+"/pods", pod, nil); err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	svc := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "smoke"},
		"spec":     map[string]any{"selector": labels, "ports": []any{map[string]any{"port": 80, "targetPort": 8080}}},
	}
	var created struct{ Spec struct{ ClusterIP string } }
	if _, err := api.do(ctx, http.MethodPost, base+"/services", svc, &created); err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	url := "http://" + created.Spec.ClusterIP + "/"
	client := &http.Client{Timeout: 2 * time.Second}
	err = waitFor(ctx, "smoke Service at "+url, 120*time.Second, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		return fmt.Errorf("smoke test: %w", err)
	}
	fmt.Fprintf(log, "smoke test passed: %s answered\n", url)
	return nil
}

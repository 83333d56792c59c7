package track

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// maxLineLength cuts log lines so one huge line cannot flood the output.
const maxLineLength = 2000

// failure gathers the evidence for failed target i, emits it once, and returns the Result.
func (r *run) failure(ctx context.Context, i int) (Result, error) {
	tg := r.targets[i]
	st := tg.status
	ctx, cancel := context.WithTimeout(ctx, r.cfg.EvidenceTimeout)
	defer cancel()
	var logs []string
	if c := st.Culprit; c != nil {
		r.podEvents(ctx, i, c)
		if r.hasRun(c) {
			logs = r.containerLogs(ctx, i, c)
		}
	}
	now := r.cfg.Clock.Now()
	res := Result{
		Objects:  r.results(),
		Failed:   true,
		Object:   tg.ref,
		Reason:   st.Reason,
		Message:  st.Message,
		Evidence: append(slices.Clone(tg.warnings), logs...),
		Duration: now.Sub(r.start),
	}
	r.emitAt(now, Event{Type: Done, Object: tg.ref, Status: st, Message: fmt.Sprintf("%s failed: %s: %s", tg.ref, st.Reason, st.Message)})
	return res, nil
}

// podEvents reads the culprit pod's events straight from the API server, so a Warning
// recorded a moment before the failure is not missed while the watch catches up.
func (r *run) podEvents(ctx context.Context, i int, c *health.ContainerRef) {
	list, err := r.cfg.Typed.CoreV1().Events(c.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", c.Pod).String(),
	})
	if err != nil {
		r.cfg.Logger.Debug("list the failing pod's events", "pod", c.Pod, "error", err)
		return
	}
	now := r.cfg.Clock.Now()
	for k := range list.Items {
		if ev := &list.Items[k]; ev.InvolvedObject.Kind == "Pod" && r.wanted(ev) {
			r.report(now, ev, i)
		}
	}
}

// hasRun reports whether the container ever started, so it may have logs: not one that
// waits for an image or a Secret. When the pod is not in the cache it answers yes.
func (r *run) hasRun(c *health.ContainerRef) bool {
	w := r.watches[c.Namespace]
	if w == nil || w.pods == nil {
		return true
	}
	pod, err := w.pods.Get(c.Pod)
	if err != nil {
		return true
	}
	for _, cs := range append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...) {
		if cs.Name == c.Container {
			return cs.RestartCount > 0 || cs.State.Running != nil || cs.State.Terminated != nil ||
				cs.LastTerminationState.Terminated != nil
		}
	}
	return true
}

// containerLogs emits and returns the last lines of the culprit container's previous
// instance (when there is one) and of its current one (when it differs). A container
// that has just crashed may have no readable log for a moment (the kubelet is restarting
// it), so when neither instance gave a line it tries again, a few times, while ctx lasts.
func (r *run) containerLogs(ctx context.Context, i int, c *health.ContainerRef) []string {
	var lastErr error
	for attempt := 0; attempt < logAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return []string{fmt.Sprintf("no logs of %s: %v", c, lastErr)}
			case <-r.cfg.Clock.After(logRetryDelay):
			}
		}
		var evidence []string
		evidence, lastErr = r.readLogs(ctx, i, c)
		if len(evidence) > 0 {
			return evidence
		}
	}
	if lastErr == nil {
		return nil // the container wrote nothing
	}
	return []string{fmt.Sprintf("no logs of %s: %v", c, lastErr)}
}

// Retries of containerLogs.
const (
	logAttempts   = 5
	logRetryDelay = 500 * time.Millisecond
)

// readLogs reads both instances' logs, emits their lines and returns them as evidence;
// the error is the current instance's, when no line could be read.
func (r *run) readLogs(ctx context.Context, i int, c *health.ContainerRef) ([]string, error) {
	var evidence, previous []string
	var lastErr error
	for _, prev := range []bool{true, false} {
		lines, err := r.tail(ctx, c, prev)
		if err != nil {
			// No previous instance, or a container that never started: nothing to show.
			r.cfg.Logger.Debug("read container log", "container", c.String(), "previous", prev, "error", err)
			lastErr = err
			continue
		}
		if prev {
			previous = lines
		} else if slices.Equal(lines, previous) {
			continue // the kubelet served the crashed instance as "current" too
		}
		source := c.Pod + "/" + c.Container
		label := source
		if prev {
			label += " (previous)"
		}
		now := r.cfg.Clock.Now()
		for _, line := range lines {
			r.emitAt(now, Event{Type: LogLine, Object: r.targets[i].ref, Source: source, Message: line, Previous: prev})
			evidence = append(evidence, label+": "+line)
		}
	}
	return evidence, lastErr
}

// kubeletLogError reports a body that is not a log but the kubelet's error about one:
// for a garbage-collected previous instance it answers 200 with this single line.
func kubeletLogError(text string) bool {
	return !strings.Contains(text, "\n") &&
		(strings.HasPrefix(text, "failed to try resolving symlinks in path") ||
			strings.HasPrefix(text, "unable to retrieve container logs for"))
}

// tail returns the last LogLines lines of a container's log.
func (r *run) tail(ctx context.Context, c *health.ContainerRef, previous bool) ([]string, error) {
	n := r.cfg.LogLines
	raw, err := r.cfg.Typed.CoreV1().Pods(c.Namespace).GetLogs(c.Pod, &corev1.PodLogOptions{
		Container: c.Container, TailLines: &n, Previous: previous,
	}).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", c, err)
	}
	text := strings.TrimRight(string(raw), "\n")
	if text == "" {
		return nil, nil
	}
	if kubeletLogError(text) {
		return nil, fmt.Errorf("logs of %s: kubelet: %s", c, text)
	}
	lines := strings.Split(text, "\n")
	for k, l := range lines {
		if len(l) > maxLineLength {
			lines[k] = l[:maxLineLength] + "…"
		}
	}
	return lines, nil
}

package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Labels of a verification Job. It does not carry the release label: it is no object of
// the release, and is deleted once judged.
const (
	LabelRelease = "shipsafe.io/verification"
	LabelCheck   = "shipsafe.io/check"
)

// jobPollInterval is how often a running Job is looked at.
const jobPollInterval = 500 * time.Millisecond

// jobProber runs a check's Job once and requires it to complete.
type jobProber struct {
	name      string
	check     *JobCheck
	release   string
	namespace string
	revision  int
	typed     kubernetes.Interface
	now       func() time.Time
}

func (p *jobProber) query() string {
	return fmt.Sprintf("Job %s/%s", p.namespace, JobName(p.release, p.name))
}

// JobName is the name of the Job of a release's check: "<release>-verify-<check>",
// shortened with a hash to fit 63 characters.
func JobName(release, check string) string {
	n := release + "-verify-" + check
	if len(n) <= 63 {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return strings.TrimRight(n[:54], "-") + "-" + hex.EncodeToString(sum[:])[:8]
}

func (p *jobProber) probe(ctx context.Context) Sample {
	s := Sample{Check: p.name, Threshold: "Complete"}
	name := JobName(p.release, p.name)
	jobs := p.typed.BatchV1().Jobs(p.namespace)
	defer func() {
		// The Job is judged: remove it and its pods, even when the window was stopped.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = jobs.Delete(dctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	}()
	if err := p.removeOld(ctx, name); err != nil {
		s.Time, s.Outcome, s.Detail = p.now(), Inconclusive, err.Error()
		return s
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.namespace, Labels: map[string]string{
			LabelRelease: p.release, LabelCheck: p.name, "shipsafe.io/revision": fmt.Sprint(p.revision)}},
		Spec: *p.check.Spec.DeepCopy(),
	}
	if job.Spec.BackoffLimit == nil {
		job.Spec.BackoffLimit = ptr.To[int32](0)
	}
	if job.Spec.Template.Spec.RestartPolicy == "" {
		job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	}
	if _, err := jobs.Create(ctx, job, metav1.CreateOptions{FieldManager: "shipsafe"}); err != nil {
		s.Time, s.Outcome, s.Detail = p.now(), Fail, fmt.Sprintf("create Job %s: %v", name, err)
		return s
	}
	wctx, cancel := context.WithTimeout(ctx, p.check.Timeout)
	defer cancel()
	for {
		j, err := jobs.Get(wctx, name, metav1.GetOptions{})
		if err == nil {
			if done, ok := jobDone(j); ok {
				s.Time, s.Value = p.now(), done
				if done == "Complete" {
					s.Outcome = Pass
					return s
				}
				s.Outcome = Fail
				s.Detail = fmt.Sprintf("Job %s failed: %s%s", name, failedMessage(j), p.podLog(ctx, name))
				return s
			}
		}
		select {
		case <-wctx.Done():
			s.Time, s.Value = p.now(), "Running"
			s.Outcome = Fail
			s.Detail = fmt.Sprintf("Job %s did not complete within %s%s", name, p.check.Timeout, p.podLog(ctx, name))
			if ctx.Err() != nil {
				s.Outcome, s.Detail = Inconclusive, "stopped before the Job finished"
			}
			return s
		case <-time.After(jobPollInterval):
		}
	}
}

// removeOld deletes a Job of the same name left by an earlier, interrupted run, and
// waits until it is gone.
func (p *jobProber) removeOld(ctx context.Context, name string) error {
	jobs := p.typed.BatchV1().Jobs(p.namespace)
	err := jobs.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete the previous Job %s: %w", name, err)
	}
	for {
		if _, err := jobs.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the previous Job %s is still being deleted: %w", name, ctx.Err())
		case <-time.After(jobPollInterval):
		}
	}
}

// jobDone returns "Complete" or "Failed" once the Job has that condition.
func jobDone(j *batchv1.Job) (string, bool) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return "Complete", true
		case batchv1.JobFailed:
			return "Failed", true
		}
	}
	return "", false
}

func failedMessage(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return strings.TrimSpace(c.Reason + " " + c.Message)
		}
	}
	return "failed"
}

// podLog returns "; log: ..." with the last lines of the Job's most recent pod, or "".
func (p *jobProber) podLog(ctx context.Context, job string) string {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	pods, err := p.typed.CoreV1().Pods(p.namespace).List(lctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil || len(pods.Items) == 0 {
		return ""
	}
	pod := pods.Items[len(pods.Items)-1]
	if len(pod.Spec.Containers) == 0 {
		return ""
	}
	b, err := p.typed.CoreV1().Pods(p.namespace).GetLogs(pod.Name, &corev1.PodLogOptions{
		Container: pod.Spec.Containers[0].Name, TailLines: ptr.To[int64](5)}).DoRaw(lctx)
	if err != nil || len(b) == 0 {
		return ""
	}
	return fmt.Sprintf("; log of pod %s: %s", pod.Name, strings.Join(strings.Fields(strings.TrimSpace(string(b))), " "))
}

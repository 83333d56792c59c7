package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/util/retry"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// The layout of a release record Secret.
const (
	// SecretType is the type of every release record Secret.
	SecretType corev1.SecretType = "shipsafe.io/release.v1"
	// LabelRelease holds the release name (managed objects carry it too).
	LabelRelease = "shipsafe.io/release"
	// LabelRevision holds the revision number in decimal.
	LabelRevision = "shipsafe.io/revision"
	// LabelStatus holds the revision status.
	LabelStatus = "shipsafe.io/status"
	// LabelOwner is set to OwnerShipsafe on every record.
	LabelOwner = "owner"
	// OwnerShipsafe is the value of LabelOwner.
	OwnerShipsafe = "shipsafe"
	// DataKey is the Secret data key holding the gzip'd JSON body.
	DataKey = "release"
	// PartsKey, in a record whose body is over MaxPartSize, lists the names of the part
	// Secrets holding the body, in order, one per line; DigestKey holds the body's SHA-256
	// in hex.
	PartsKey  = "parts"
	DigestKey = "sha256"
	// PartSecretType is the type of the Secrets holding parts of a body; their data key is
	// PartKey. They carry the labels of their record, less the status.
	PartSecretType corev1.SecretType = "shipsafe.io/release-part.v1"
	PartKey                          = "part"
)

// SecretName returns the name of the Secret holding revision number of release:
// "shipsafe.<release>.v<number>".
func SecretName(release string, number int) string {
	return "shipsafe." + release + ".v" + strconv.Itoa(number)
}

var _ Store = (*Secrets)(nil)

// Secrets is the Store on Kubernetes Secrets: one Secret of type SecretType per revision,
// in the release namespace, labelled for listing without decoding bodies.
type Secrets struct {
	client    kubernetes.Interface
	meta      metadata.Interface
	namespace string
}

// NewSecrets returns a Secret store for namespace. With namespace "" it sees every
// namespace, for reading only (`list -A`): Get, History, Summaries and List work, writes
// fail.
func NewSecrets(client kubernetes.Interface, namespace string) *Secrets {
	return &Secrets{client: client, namespace: namespace}
}

// WithMetadata makes Summaries and List read the records' metadata only (a
// PartialObjectMetadata LIST), not their bodies, through md; it returns s. Without it
// they list whole Secrets and decode no body either, except of records without a
// summary.
func (s *Secrets) WithMetadata(md metadata.Interface) *Secrets {
	s.meta = md
	return s
}

// Create implements Store. A body over MaxPartSize is written to its part Secrets first,
// then the record Secret that names them.
func (s *Secrets) Create(ctx context.Context, rev *release.Revision) error {
	rec, err := s.recordFor("create", rev)
	if err != nil {
		return err
	}
	if err := s.writeParts(ctx, "create", rev, rec.parts); err != nil {
		return err
	}
	created, err := s.client.CoreV1().Secrets(s.namespace).Create(ctx, rec.main, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		return fmt.Errorf("create release %s revision %d: %w", rev.Release, rev.Number, ErrExists)
	case err != nil:
		return fmt.Errorf("create release %s revision %d: secret %s/%s: %w", rev.Release, rev.Number, s.namespace, rec.main.Name, err)
	}
	rev.StoreVersion = created.ResourceVersion
	return nil
}

// Update implements Store. Parts of the new body are written before the record Secret;
// parts it no longer names are deleted after it.
func (s *Secrets) Update(ctx context.Context, rev *release.Revision) error {
	rec, err := s.recordFor("update", rev)
	if err != nil {
		return err
	}
	sec := rec.main
	secrets := s.client.CoreV1().Secrets(s.namespace)
	var updated *corev1.Secret
	write := func() error {
		// Again on every try: a concurrent update may have deleted parts it did not name.
		if err := s.writeParts(ctx, "update", rev, rec.parts); err != nil {
			return err
		}
		if rev.StoreVersion == "" {
			cur, err := secrets.Get(ctx, sec.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			sec.ResourceVersion = cur.ResourceVersion
		}
		updated, err = secrets.Update(ctx, sec, metav1.UpdateOptions{})
		return err
	}
	if rev.StoreVersion == "" {
		err = retry.RetryOnConflict(retry.DefaultRetry, write)
	} else {
		sec.ResourceVersion = rev.StoreVersion
		err = write()
	}
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("update release %s revision %d: %w", rev.Release, rev.Number, ErrNotFound)
	case apierrors.IsConflict(err):
		return fmt.Errorf("update release %s revision %d: %w", rev.Release, rev.Number, ErrConflict)
	case err != nil:
		return fmt.Errorf("update release %s revision %d: secret %s/%s: %w", rev.Release, rev.Number, s.namespace, sec.Name, err)
	}
	rev.StoreVersion = updated.ResourceVersion
	// A body in parts replaces the parts of the body before it. (A body that now fits in
	// the record leaves any old parts to Delete, which removes every part of a revision:
	// no list request on every small update.)
	if len(rec.parts) > 0 {
		if err := s.deleteParts(ctx, rev.Release, rev.Number, rec.partNames()); err != nil {
			return fmt.Errorf("update release %s revision %d: written, but %w", rev.Release, rev.Number, err)
		}
	}
	return nil
}

// record is the Secret of a revision and, for a body over MaxPartSize, its parts.
type record struct {
	main  *corev1.Secret
	parts []*corev1.Secret
}

func (r *record) partNames() []string {
	names := make([]string, len(r.parts))
	for i, p := range r.parts {
		names[i] = p.Name
	}
	return names
}

// recordFor validates rev for a write and builds its Secrets. Part names carry the
// body's digest, so a part that exists already holds the same bytes.
func (s *Secrets) recordFor(op string, rev *release.Revision) (*record, error) {
	if err := checkRevision(rev); err != nil {
		return nil, err
	}
	if s.namespace == "" {
		return nil, fmt.Errorf("%s release %s revision %d: this store reads all namespaces and cannot write; use a store for the release namespace", op, rev.Release, rev.Number)
	}
	switch rev.Namespace {
	case "":
		rev.Namespace = s.namespace
	case s.namespace:
	default:
		return nil, fmt.Errorf("%s release %s revision %d: the revision is for namespace %q but this store writes to %q", op, rev.Release, rev.Number, rev.Namespace, s.namespace)
	}
	body, err := encode(rev)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{
		LabelRelease:  rev.Release,
		LabelRevision: strconv.Itoa(rev.Number),
		LabelOwner:    OwnerShipsafe,
	}
	main := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(rev.Release, rev.Number), Namespace: s.namespace, Labels: maps.Clone(labels)},
		Type:       SecretType,
	}
	// The user's labels, never over the store's own.
	for k, v := range rev.Labels {
		if _, own := labels[k]; !own && k != LabelStatus {
			main.Labels[k] = v
		}
	}
	main.Labels[LabelStatus] = string(rev.Status)
	if sum := summaryAnnotation(rev); sum != "" {
		main.Annotations = map[string]string{SummaryKey: sum}
	}
	if len(body) <= MaxPartSize {
		main.Data = map[string][]byte{DataKey: body}
		return &record{main: main}, nil
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	rec := &record{main: main}
	for i := 0; i*MaxPartSize < len(body); i++ {
		rec.parts = append(rec.parts, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.p%d-%s", main.Name, i+1, digest[:12]), Namespace: s.namespace, Labels: maps.Clone(labels)},
			Type:       PartSecretType,
			Data:       map[string][]byte{PartKey: body[i*MaxPartSize : min((i+1)*MaxPartSize, len(body))]},
		})
	}
	main.Data = map[string][]byte{PartsKey: []byte(strings.Join(rec.partNames(), "\n")), DigestKey: []byte(digest)}
	return rec, nil
}

// writeParts creates the part Secrets that do not exist yet.
func (s *Secrets) writeParts(ctx context.Context, op string, rev *release.Revision, parts []*corev1.Secret) error {
	for _, p := range parts {
		_, err := s.client.CoreV1().Secrets(s.namespace).Create(ctx, p, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s release %s revision %d: part secret %s/%s: %w", op, rev.Release, rev.Number, s.namespace, p.Name, err)
		}
	}
	return nil
}

// deleteParts deletes the part Secrets of revision number of release name, except keep.
func (s *Secrets) deleteParts(ctx context.Context, name string, number int, keep []string) error {
	names, err := s.listParts(ctx, name, number)
	if err != nil {
		return err
	}
	return s.deletePartSecrets(ctx, slices.DeleteFunc(names, func(n string) bool { return slices.Contains(keep, n) }))
}

// listParts returns the names of the part Secrets of revision number of release name.
func (s *Secrets) listParts(ctx context.Context, name string, number int) ([]string, error) {
	list, err := s.client.CoreV1().Secrets(s.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{LabelOwner: OwnerShipsafe, LabelRelease: name, LabelRevision: strconv.Itoa(number)}.AsSelector().String(),
		FieldSelector: fields.OneTermEqualSelector("type", string(PartSecretType)).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list the part secrets of release %s revision %d: %w", name, number, err)
	}
	names := make([]string, len(list.Items))
	for i, p := range list.Items {
		names[i] = p.Name
	}
	return names, nil
}

// deletePartSecrets deletes the part Secrets named; one already gone is no error.
func (s *Secrets) deletePartSecrets(ctx context.Context, names []string) error {
	var errs []error
	for _, n := range names {
		if err := s.client.CoreV1().Secrets(s.namespace).Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete part secret %s/%s: %w", s.namespace, n, err))
		}
	}
	return errors.Join(errs...)
}

// Get implements Store. With all namespaces it fails when the release exists in more than
// one.
func (s *Secrets) Get(ctx context.Context, name string, number int) (*release.Revision, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	if s.namespace != "" {
		sec, err := s.client.CoreV1().Secrets(s.namespace).Get(ctx, SecretName(name, number), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("get release %s revision %d: %w", name, number, ErrNotFound)
		case err != nil:
			return nil, fmt.Errorf("get release %s revision %d: %w", name, number, err)
		case sec.Type != SecretType:
			return nil, fmt.Errorf("get release %s revision %d: secret %s/%s has type %q, not %q: %w", name, number, sec.Namespace, sec.Name, sec.Type, SecretType, ErrNotFound)
		}
		return s.decodeSecret(ctx, sec)
	}
	var found []*corev1.Secret
	sel := labels.Set{LabelOwner: OwnerShipsafe, LabelRelease: name, LabelRevision: strconv.Itoa(number)}
	err := s.each(ctx, sel, func(sec *corev1.Secret) error {
		found = append(found, sec.DeepCopy())
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("get release %s revision %d: %w", name, number, err)
	case len(found) == 0:
		return nil, fmt.Errorf("get release %s revision %d: %w", name, number, ErrNotFound)
	case len(found) > 1:
		return nil, fmt.Errorf("get release %s revision %d: the release exists in namespaces %s and %s; name one", name, number, found[0].Namespace, found[1].Namespace)
	}
	return s.decodeSecret(ctx, found[0])
}

// History implements Store. With all namespaces it returns the revisions of the name in
// every namespace, ordered by number then namespace.
func (s *Secrets) History(ctx context.Context, name string) ([]*release.Revision, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	out := []*release.Revision{}
	var damaged []Damaged
	err := s.each(ctx, labels.Set{LabelOwner: OwnerShipsafe, LabelRelease: name}, func(sec *corev1.Secret) error {
		rev, err := s.decodeSecret(ctx, sec)
		switch {
		case errors.Is(err, ErrDamaged):
			damaged = append(damaged, damagedRecord(sec, err))
			return nil
		case err != nil:
			return err
		}
		out = append(out, rev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of release %s: %w", name, err)
	}
	slices.SortFunc(out, func(a, b *release.Revision) int {
		return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Namespace, b.Namespace))
	})
	if len(damaged) > 0 {
		return out, &DamagedError{Records: damaged}
	}
	return out, nil
}

// Summaries implements Store: one metadata LIST of the release's records; only a
// record without a summary annotation (written before it existed) is read whole.
func (s *Secrets) Summaries(ctx context.Context, name string) ([]*release.Summary, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	var metas []*metav1.ObjectMeta
	err := s.eachMeta(ctx, labels.Set{LabelOwner: OwnerShipsafe, LabelRelease: name}, func(m *metav1.ObjectMeta) error {
		metas = append(metas, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of release %s: %w", name, err)
	}
	out, damaged, err := s.summaries(ctx, metas)
	if err != nil {
		return nil, fmt.Errorf("history of release %s: %w", name, err)
	}
	slices.SortFunc(out, func(a, b *release.Summary) int {
		return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Namespace, b.Namespace))
	})
	if len(damaged) > 0 {
		return out, &DamagedError{Records: damaged}
	}
	return out, nil
}

// List implements Store. It picks the latest revision of each release from the labels of
// one metadata LIST and reads only their summaries.
func (s *Secrets) List(ctx context.Context) ([]*release.Summary, error) {
	type key struct{ namespace, release string }
	type pick struct {
		number int
		meta   *metav1.ObjectMeta
	}
	latest := map[key]pick{}
	var damaged []Damaged
	err := s.eachMeta(ctx, labels.Set{LabelOwner: OwnerShipsafe}, func(m *metav1.ObjectMeta) error {
		n, err := strconv.Atoi(m.Labels[LabelRevision])
		if err != nil {
			damaged = append(damaged, damagedMeta(m, fmt.Errorf("secret %s/%s: %w: label %s=%q is not a revision number",
				m.Namespace, m.Name, ErrDamaged, LabelRevision, m.Labels[LabelRevision])))
			return nil
		}
		k := key{m.Namespace, m.Labels[LabelRelease]}
		if p, ok := latest[k]; !ok || n > p.number {
			latest[k] = pick{number: n, meta: m}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	metas := make([]*metav1.ObjectMeta, 0, len(latest))
	for _, p := range latest {
		metas = append(metas, p.meta)
	}
	out, bad, err := s.summaries(ctx, metas)
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	damaged = append(damaged, bad...)
	slices.SortFunc(out, func(a, b *release.Summary) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Release, b.Release))
	})
	if len(damaged) > 0 {
		return out, &DamagedError{Records: damaged}
	}
	return out, nil
}

// summaries returns the summaries of the records with metadata metas: from their
// annotation, or, for a record without one, from its body (read with a GET).
func (s *Secrets) summaries(ctx context.Context, metas []*metav1.ObjectMeta) ([]*release.Summary, []Damaged, error) {
	out := make([]*release.Summary, 0, len(metas))
	var damaged []Damaged
	for _, m := range metas {
		sum, ok, err := summaryOf(m)
		if !ok {
			sum, err = s.summaryFromBody(ctx, m)
		}
		switch {
		case errors.Is(err, ErrDamaged):
			damaged = append(damaged, damagedMeta(m, err))
			continue
		case err != nil:
			return nil, nil, err
		case sum != nil:
			out = append(out, sum)
		}
	}
	return out, damaged, nil
}

// summaryFromBody reads the record Secret of m whole and decodes its body; nil when it
// is gone.
func (s *Secrets) summaryFromBody(ctx context.Context, m *metav1.ObjectMeta) (*release.Summary, error) {
	sec, err := s.client.CoreV1().Secrets(m.Namespace).Get(ctx, m.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err): // deleted since the list (history trimmed): skipped
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read secret %s/%s: %w", m.Namespace, m.Name, err)
	}
	rev, err := s.decodeSecret(ctx, sec)
	if err != nil {
		return nil, err
	}
	return rev.Summary(), nil
}

// Delete implements Store.
func (s *Secrets) Delete(ctx context.Context, name string, number int) error {
	if err := release.ValidateName(name); err != nil {
		return err
	}
	if s.namespace == "" {
		return fmt.Errorf("delete release %s revision %d: this store reads all namespaces and cannot write; use a store for the release namespace", name, number)
	}
	// The parts are listed while the record is deleted (no part is written meanwhile:
	// the caller holds the release's lock) and deleted after it (also when it was
	// gone), so that none is left behind and no record names a missing part.
	parts := make(chan partList, 1)
	go func() {
		names, err := s.listParts(ctx, name, number)
		parts <- partList{names, err}
	}()
	err := s.client.CoreV1().Secrets(s.namespace).Delete(ctx, SecretName(name, number), metav1.DeleteOptions{})
	listed := <-parts
	switch {
	case apierrors.IsNotFound(err):
		err = fmt.Errorf("delete release %s revision %d: %w", name, number, ErrNotFound)
	case err != nil:
		return fmt.Errorf("delete release %s revision %d: %w", name, number, err)
	}
	perr := listed.err
	if perr == nil {
		perr = s.deletePartSecrets(ctx, listed.names)
	}
	if perr != nil {
		return errors.Join(err, fmt.Errorf("delete release %s revision %d: %w", name, number, perr))
	}
	return err
}

// partList is the answer of listParts.
type partList struct {
	names []string
	err   error
}

// each calls fn for every release record Secret matching sel, page by page.
func (s *Secrets) each(ctx context.Context, sel labels.Set, fn func(*corev1.Secret) error) error {
	opts := metav1.ListOptions{
		LabelSelector: sel.AsSelector().String(),
		FieldSelector: fields.OneTermEqualSelector("type", string(SecretType)).String(),
		Limit:         200,
	}
	for {
		page, err := s.client.CoreV1().Secrets(s.namespace).List(ctx, opts)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		for i := range page.Items {
			if err := fn(&page.Items[i]); err != nil {
				return err
			}
		}
		if page.Continue == "" {
			return nil
		}
		opts.Continue = page.Continue
	}
}

// eachMeta calls fn with the metadata of every release record Secret matching sel, page
// by page: from a metadata-only LIST when the store has a metadata client, else from
// whole Secrets.
func (s *Secrets) eachMeta(ctx context.Context, sel labels.Set, fn func(*metav1.ObjectMeta) error) error {
	if s.meta == nil {
		return s.each(ctx, sel, func(sec *corev1.Secret) error {
			m := sec.ObjectMeta
			return fn(&m)
		})
	}
	opts := metav1.ListOptions{
		LabelSelector: sel.AsSelector().String(),
		FieldSelector: fields.OneTermEqualSelector("type", string(SecretType)).String(),
		Limit:         500,
	}
	res := s.meta.Resource(corev1.SchemeGroupVersion.WithResource("secrets")).Namespace(s.namespace)
	for {
		page, err := res.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		for i := range page.Items {
			if err := fn(&page.Items[i].ObjectMeta); err != nil {
				return err
			}
		}
		if page.Continue == "" {
			return nil
		}
		opts.Continue = page.Continue
	}
}

// decodeSecret decodes a record, reading its parts if it has them, and checks that it is
// the revision its name says. Its errors match ErrDamaged and name the Secret, except
// failures to read a part.
func (s *Secrets) decodeSecret(ctx context.Context, sec *corev1.Secret) (*release.Revision, error) {
	body, err := s.body(ctx, sec)
	if err != nil {
		return nil, err
	}
	rev, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w: %w", sec.Namespace, sec.Name, ErrDamaged, err)
	}
	if SecretName(rev.Release, rev.Number) != sec.Name {
		return nil, fmt.Errorf("secret %s/%s: %w: it holds release %s revision %d, not what its name says",
			sec.Namespace, sec.Name, ErrDamaged, rev.Release, rev.Number)
	}
	rev.Namespace = sec.Namespace
	rev.StoreVersion = sec.ResourceVersion
	return rev, nil
}

// body returns a record's encoded body: its DataKey, or its parts joined and checked
// against its digest.
func (s *Secrets) body(ctx context.Context, sec *corev1.Secret) ([]byte, error) {
	if body, ok := sec.Data[DataKey]; ok {
		return body, nil
	}
	names, ok := sec.Data[PartsKey]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: %w: neither a %q nor a %q key", sec.Namespace, sec.Name, ErrDamaged, DataKey, PartsKey)
	}
	list := strings.Split(string(names), "\n")
	if len(list) > MaxParts {
		return nil, fmt.Errorf("secret %s/%s: %w: it names %d parts, more than the %d a record may have", sec.Namespace, sec.Name, ErrDamaged, len(list), MaxParts)
	}
	var body []byte
	for _, name := range list {
		if !strings.HasPrefix(name, sec.Name+".p") {
			return nil, fmt.Errorf("secret %s/%s: %w: part %q is not one of its parts (%s.p*)", sec.Namespace, sec.Name, ErrDamaged, name, sec.Name)
		}
		part, err := s.client.CoreV1().Secrets(sec.Namespace).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("secret %s/%s: %w: its part secret %s is missing", sec.Namespace, sec.Name, ErrDamaged, name)
		case err != nil:
			return nil, fmt.Errorf("secret %s/%s: read part secret %s: %w", sec.Namespace, sec.Name, name, err)
		case part.Type != PartSecretType:
			return nil, fmt.Errorf("secret %s/%s: %w: its part secret %s has type %q, not %q", sec.Namespace, sec.Name, ErrDamaged, name, part.Type, PartSecretType)
		}
		body = append(body, part.Data[PartKey]...)
		if len(body) > MaxRecordSize {
			return nil, fmt.Errorf("secret %s/%s: %w: its parts hold more than %d bytes", sec.Namespace, sec.Name, ErrDamaged, MaxRecordSize)
		}
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != string(sec.Data[DigestKey]) {
		return nil, fmt.Errorf("secret %s/%s: %w: its parts do not match its %s digest", sec.Namespace, sec.Name, ErrDamaged, DigestKey)
	}
	return body, nil
}

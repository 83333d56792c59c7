package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Store keeps the revisions of releases. Implementations are safe for concurrent use and
// never share memory with their callers: a stored revision changes only through the Store.
type Store interface {
	// Create stores a new revision. It fails with an error matching ErrExists when the
	// release already has a revision of that number; of two concurrent creators of the
	// same number exactly one wins. On success rev.StoreVersion is set (and an empty
	// rev.Namespace is filled with the store's namespace, if it has one).
	Create(ctx context.Context, rev *release.Revision) error
	// Update replaces a stored revision. When rev.StoreVersion is set (it is on every
	// revision read from or written to the store) and the stored record has changed since,
	// it fails with an error matching ErrConflict and changes nothing; an empty
	// StoreVersion overwrites unconditionally. It fails with ErrNotFound when the revision
	// does not exist. On success rev.StoreVersion is updated.
	Update(ctx context.Context, rev *release.Revision) error
	// Get returns one revision, or an error matching ErrNotFound (or ErrDamaged).
	Get(ctx context.Context, name string, number int) (*release.Revision, error)
	// History returns every revision of the release in ascending order of Number; an empty
	// slice, not an error, when there is none. If some records cannot be read, it returns
	// the others together with an error matching ErrDamaged that names each damaged one.
	History(ctx context.Context, name string) ([]*release.Revision, error)
	// Summaries returns what History returns, as summaries (release.Summary): the same
	// revisions, order and damaged records, without reading every record body. A
	// summary's StoreVersion equals that of the revision Get returns for the same record.
	Summaries(ctx context.Context, name string) ([]*release.Summary, error)
	// List returns the summary of the latest revision of every release the store sees,
	// ordered by namespace then release name. Damaged records are handled as in History.
	List(ctx context.Context) ([]*release.Summary, error)
	// Delete removes one revision, or fails with an error matching ErrNotFound.
	Delete(ctx context.Context, name string, number int) error
}

// Sentinel errors of every Store; compare with errors.Is.
var (
	// ErrNotFound: the revision does not exist.
	ErrNotFound = errors.New("release revision not found")
	// ErrExists: a revision of that number already exists.
	ErrExists = errors.New("release revision already exists")
	// ErrConflict: the stored revision changed since it was read.
	ErrConflict = errors.New("release revision changed since it was read")
	// ErrDamaged: a stored record cannot be decoded (edited by hand, or not written by
	// shipsafe). Delete or repair the named record.
	ErrDamaged = errors.New("damaged release record")
)

// MaxRecordSize is the largest encoded (JSON then gzip) revision body a store accepts.
// The Secret store keeps a body over MaxPartSize in several Secrets (a Secret holds at
// most 1 MiB), so the limit is that of a sensible number of them.
const MaxRecordSize = 8 << 20

// MaxDecodedSize is the most bytes of JSON a record body may decompress to; encode
// refuses more and decode stops reading there.
const MaxDecodedSize = 64 << 20

// MaxParts is the most part Secrets a record may name: MaxRecordSize in parts of
// MaxPartSize.
const MaxParts = (MaxRecordSize + MaxPartSize - 1) / MaxPartSize

// MaxPartSize is the most body bytes the Secret store puts in one Secret: 1 MiB less room
// for metadata.
const MaxPartSize = 900 * 1024

// TooLargeError says that a revision's encoded body exceeds the limit. Nothing was stored.
type TooLargeError struct {
	Release string
	Number  int
	// Size is the encoded (gzip'd) size in bytes; Limit the most accepted.
	Size, Limit int
}

// Error implements error; the message says what to do.
func (e *TooLargeError) Error() string {
	what := fmt.Sprintf("release %q", e.Release)
	if e.Number > 0 {
		what += fmt.Sprintf(" revision %d", e.Number)
	}
	return fmt.Sprintf("%s: the record is %d bytes after compression, over the limit of %d; "+
		"split the release into several smaller releases", what, e.Size, e.Limit)
}

// checkRevision validates what every driver needs before writing rev.
func checkRevision(rev *release.Revision) error {
	if rev == nil {
		return fmt.Errorf("write release revision: nil revision")
	}
	if err := release.ValidateName(rev.Release); err != nil {
		return err
	}
	switch {
	case rev.Number < 1:
		return fmt.Errorf("write release %s revision %d: revision numbers start at 1", rev.Release, rev.Number)
	case !rev.Status.Valid():
		return fmt.Errorf("write release %s revision %d: unknown status %q", rev.Release, rev.Number, rev.Status)
	}
	return nil
}

package store

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/shipsafe/shipsafe/internal/fanout"
	"github.com/shipsafe/shipsafe/internal/objjson"
	"github.com/shipsafe/shipsafe/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CheckSize returns a *TooLargeError when rev's record would be over MaxRecordSize,
// without writing anything: a deploy checks it before taking the release lock. Other
// encoding errors are returned as they are.
func CheckSize(rev *release.Revision) error {
	_, err := encode(rev)
	return err
}

// encode renders rev as gzip'd JSON, refusing a body over MaxRecordSize.
func encode(rev *release.Revision) ([]byte, error) {
	for i, o := range rev.Objects {
		if o == nil {
			return nil, fmt.Errorf("encode release %s revision %d: object %d is nil", rev.Release, rev.Number, i)
		}
	}
	for i, o := range rev.Adopted {
		if o == nil {
			return nil, fmt.Errorf("encode release %s revision %d: adopted object %d is nil", rev.Release, rev.Number, i)
		}
	}
	raw, err := marshalRevision(rev)
	if err != nil {
		return nil, fmt.Errorf("encode release %s revision %d: %w", rev.Release, rev.Number, err)
	}
	if len(raw) > MaxDecodedSize {
		return nil, fmt.Errorf("encode release %s revision %d: the record is %d bytes of JSON, over the limit of %d; "+
			"split the release into several smaller releases", rev.Release, rev.Number, len(raw), MaxDecodedSize)
	}
	// The fastest compression first (about 2.5 times faster than the default, 3% larger
	// on a record of 1,000 ConfigMaps); a body too large for one Secret is compressed
	// again at the default level, so large records take as few parts as before.
	body, err := compress(raw, gzip.BestSpeed)
	if err == nil && len(body) > MaxPartSize {
		body, err = compress(raw, gzip.DefaultCompression)
	}
	if err != nil {
		return nil, fmt.Errorf("encode release %s revision %d: %w", rev.Release, rev.Number, err)
	}
	if len(body) > MaxRecordSize {
		return nil, &TooLargeError{Release: rev.Release, Number: rev.Number, Size: len(body), Limit: MaxRecordSize}
	}
	return body, nil
}

// compress returns raw gzip'd at level.
func compress(raw []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalRevision renders rev as JSON: its objects with objjson (the bulk of a record,
// and the bulk of its cost under encoding/json's reflection), spliced into what
// encoding/json renders of the rest, so that they are neither reflected over nor
// compacted again.
func marshalRevision(rev *release.Revision) ([]byte, error) {
	head, err := json.Marshal(wire{revisionFields: (*revisionFields)(rev)}) // no objects: omitted
	if err != nil {
		return nil, err
	}
	if len(head) < 2 || head[len(head)-1] != '}' {
		return nil, fmt.Errorf("revision rendered as %.20q, not a JSON object", head)
	}
	buf := head[:len(head)-1]
	if buf, err = appendObjects(buf, "objects", rev.Objects); err != nil {
		return nil, err
	}
	if buf, err = appendObjects(buf, "adopted", rev.Adopted); err != nil {
		return nil, err
	}
	return append(buf, '}'), nil
}

// appendObjects appends `"key":[...]` with objs rendered by objjson to buf, the open
// JSON object rendered so far (a comma first unless it is empty); nothing for no objs,
// as omitempty would.
func appendObjects(buf []byte, key string, objs []*unstructured.Unstructured) ([]byte, error) {
	if len(objs) == 0 {
		return buf, nil
	}
	if buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	buf = append(append(append(buf, '"'), key...), `":[`...)
	// Rendered on every core, then joined in order.
	encoded, errs := make([][]byte, len(objs)), make([]error, len(objs))
	fanout.Chunks(len(objs), 64, func(i int) { encoded[i], errs[i] = objjson.Append(nil, objs[i].Object) })
	size := 0
	for i, e := range encoded {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s %d: %w", key, i, errs[i])
		}
		size += len(e) + 1
	}
	buf = slices.Grow(buf, size+1)
	for i, e := range encoded {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, e...)
	}
	return append(buf, ']'), nil
}

// revisionFields has Revision's fields and JSON names but not its methods; wire shadows
// its Objects and Adopted so that objects decode with Kubernetes' number rules (integers
// stay int64).
type revisionFields release.Revision

type wire struct {
	*revisionFields
	Objects []json.RawMessage `json:"objects,omitempty"`
	Adopted []json.RawMessage `json:"adopted,omitempty"`
}

// decode parses a body written by encode. It reads at most MaxDecodedSize bytes of
// JSON: a body that decompresses to more (a gzip bomb) is refused, not read.
func decode(body []byte) (*release.Revision, error) {
	if len(body) > MaxRecordSize {
		return nil, fmt.Errorf("decode release record: the body is %d bytes, over the limit of %d", len(body), MaxRecordSize)
	}
	// Measure first, in constant memory, so a bomb costs time, not memory.
	size, err := decodedSize(body)
	if err != nil {
		return nil, fmt.Errorf("decode release record: %w", err)
	}
	if size > MaxDecodedSize {
		return nil, fmt.Errorf("decode release record: it decompresses to more than %d bytes, the most a record may hold", MaxDecodedSize)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decode release record: %w", err)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(zr, raw); err != nil {
		return nil, fmt.Errorf("decode release record: %w", err)
	}
	rev := &release.Revision{}
	w := wire{revisionFields: (*revisionFields)(rev)}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decode release record: %w", err)
	}
	if rev.Objects, err = decodeObjects(rev, "object", w.Objects); err != nil {
		return nil, err
	}
	if rev.Adopted, err = decodeObjects(rev, "adopted object", w.Adopted); err != nil {
		return nil, err
	}
	return rev, nil
}

// decodeObjects decodes the objects of rev's record (what names them in errors) with
// Kubernetes' number rules; it returns nil for none.
func decodeObjects(rev *release.Revision, what string, raw []json.RawMessage) ([]*unstructured.Unstructured, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	out, errs := make([]*unstructured.Unstructured, len(raw)), make([]error, len(raw))
	fanout.Chunks(len(raw), 64, func(i int) {
		var m map[string]any
		errs[i] = utiljson.Unmarshal(raw[i], &m)
		out[i] = &unstructured.Unstructured{Object: m}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("decode release record %s revision %d: %s %d: %w", rev.Release, rev.Number, what, i, err)
		}
	}
	return out, nil
}

// decodedSize returns how many bytes the gzip'd body decompresses to, reading at most
// MaxDecodedSize+1 of them into a small buffer.
func decodedSize(body []byte) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, io.LimitReader(zr, MaxDecodedSize+1))
}

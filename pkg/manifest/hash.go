package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Hash returns the hex SHA-256 of obj's canonical JSON (keys sorted, as encoding/json
// writes maps). Two objects have the same hash exactly when their content is the same,
// whatever the key order or formatting of the files they came from; use it to tell
// whether an object changed between revisions.
func Hash(obj *unstructured.Unstructured) (string, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", KeyOf(obj), err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

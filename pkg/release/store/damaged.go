package store

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Damaged is one record that could not be read.
type Damaged struct {
	// Namespace and Secret name the record.
	Namespace, Secret string
	// Number is the revision number its name says, 0 when it says none.
	Number int
	Err    error
}

// RemoveCommand is the command that removes the record (its part Secrets, which carry
// its labels, go with `shipsafe uninstall --purge` or by label).
func (d Damaged) RemoveCommand() string {
	return fmt.Sprintf("kubectl -n %s delete secret %s", d.Namespace, d.Secret)
}

// DamagedError lists the records History or List skipped because they could not be
// read. It matches ErrDamaged; the revisions returned with it are the readable ones.
type DamagedError struct {
	Records []Damaged
}

// Error names each record, why it is damaged and the command that removes it.
func (e *DamagedError) Error() string {
	lines := make([]string, len(e.Records))
	for i, d := range e.Records {
		lines[i] = fmt.Sprintf("%v; it was skipped: remove it with `%s`", d.Err, d.RemoveCommand())
	}
	return strings.Join(lines, "\n")
}

// Is makes a DamagedError match ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// Highest returns the highest revision number among the damaged records (0 for none):
// a new revision must be numbered past it.
func (e *DamagedError) Highest() int {
	n := 0
	for _, d := range e.Records {
		n = max(n, d.Number)
	}
	return n
}

// damagedRecord describes the record sec that err says is damaged.
func damagedRecord(sec *corev1.Secret, err error) Damaged {
	return damagedMeta(&sec.ObjectMeta, err)
}

// damagedMeta describes the record with metadata m that err says is damaged.
func damagedMeta(m *metav1.ObjectMeta, err error) Damaged {
	d := Damaged{Namespace: m.Namespace, Secret: m.Name, Err: err}
	if i := strings.LastIndex(m.Name, ".v"); i >= 0 {
		d.Number, _ = strconv.Atoi(m.Name[i+2:])
	}
	return d
}
